/**
 * Benchmark 10 (BENCHMARKS.md): what one list scan costs the event loop, on the store of the
 * reducer's 1M-event dataset: `GET /intents` (first page of 50, unfiltered; a page of 500 of one
 * status) and the `subscribe:intents` snapshot (the newest 1,000 of one chain; of one user).
 * Each scan is timed the service's way, through `store.listing()` (src/reduce/listing.ts: fields
 * read when asked, full views only for what is kept), and as the baseline in the same run, over
 * full views (`store.projections()`), which is what the service did before; same query code.
 * Usage: npx tsx bench/list.ts [--events 1000000] [--runs 5]
 */
import { formatIntent } from '../src/fanout/format.js';
import { filterMatcher, listIntents, newest, queryMatcher } from '../src/fanout/list.js';
import { decodeRecord } from '../src/ingest/decode.js';
import type { ListQuery } from '../src/contract/http.js';
import type { ListFields } from '../src/reduce/listing.js';
import type { Projection } from '../src/reduce/projection.js';
import { ProjectionStore } from '../src/reduce/store.js';
import { arg, dataset, median, summary } from './lib/dataset.js';

const events = arg('events', 1_000_000);
const runs = arg('runs', 5);

const t0 = performance.now();
const store = new ProjectionStore();
{
  const ds = dataset(events);
  for (const e of ds.merged) {
    const d = decodeRecord({ value: Buffer.from(JSON.stringify(e.event)) });
    if (d.ok) store.fold(d.event);
  }
}
const projections = [...store.projections()];
const chain = projections[0]?.fromChain ?? 1;
const user = projections.find((p) => p.user !== null)?.user ?? '0x';
const status = 'completed' as const;
process.stderr.write(`store: ${store.size} live intents, built in ${((performance.now() - t0) / 1000).toFixed(1)}s\n`);

/** A scan as the service runs it, and the same over full views. */
interface Scan {
  readonly name: string;
  readonly listed: () => number;
  readonly viewed: () => number;
}

/** `GET /intents` as the service answers it */
const page = (q: ListQuery): number => {
  const r = listIntents(store.listing(), q, 1, 'AQ');
  if (!r.ok) throw new Error(r.error);
  return r.body.intents.length;
};
/** the same page over full views (what `listIntents` did before store.listing()) */
const pageOfViews = (q: ListQuery): number => {
  const limit = q.limit ?? 50;
  return newest(store.projections(), queryMatcher(q), limit + 1, null)
    .slice(0, limit)
    .map((p) => formatIntent(p, 1, 'AQ')).length;
};
const snapshot = <T extends ListFields>(items: Iterable<T>, matches: (p: T) => boolean, view: (p: T) => Projection): number =>
  newest(items, matches, 1000, null).map((p) => formatIntent(view(p), 1, 'AQ')).length;

const scans: Scan[] = [
  { name: 'firstPage', listed: () => page({ limit: 50 }), viewed: () => pageOfViews({ limit: 50 }) },
  { name: 'statusPage500', listed: () => page({ limit: 500, status }), viewed: () => pageOfViews({ limit: 500, status }) },
  {
    name: 'chainSnapshot',
    listed: () => snapshot(store.listing(), filterMatcher({ fromChain: chain }), (p) => p.projection()),
    viewed: () => snapshot(store.projections(), filterMatcher({ fromChain: chain }), (p) => p),
  },
  {
    name: 'userSnapshot',
    listed: () => snapshot(store.listing(), filterMatcher({ user }), (p) => p.projection()),
    viewed: () => snapshot(store.projections(), filterMatcher({ user }), (p) => p),
  },
];

const fields: Record<string, unknown> = { events, liveIntents: store.size, runs };
for (const s of scans) {
  const listed: number[] = [];
  const viewed: number[] = [];
  // warm-up, then the two ways alternately
  if (s.listed() !== s.viewed()) throw new Error(`${s.name}: the two scans differ`);
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    s.listed();
    listed.push(performance.now() - t);
    t = performance.now();
    s.viewed();
    viewed.push(performance.now() - t);
  }
  const l = median(listed);
  const v = median(viewed);
  process.stderr.write(`${s.name}: listing ${l.toFixed(1)} ms, full views ${v.toFixed(1)} ms (${(v / l).toFixed(1)}x)\n`);
  fields[`${s.name}Ms`] = Number(l.toFixed(1));
  fields[`${s.name}BaselineMs`] = Number(v.toFixed(1));
  fields[`${s.name}Speedup`] = Number((v / l).toFixed(1));
}
summary('list', fields);
