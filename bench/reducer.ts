/**
 * Benchmark 1 (BENCHMARKS.md): events/s folding a generated history in-process,
 * (a) on decoded events, (b) including JSON parsing and zod validation (decodeRecord on Buffers);
 * each through `store.apply` (a diff per change, as live) and `store.fold` (none, as the replay).
 *
 * The record values live in one off-heap Buffer and decoded events exist one chunk at a time, so
 * the garbage collector sees what a running service holds (the projections), not a 1 GB dataset.
 * Usage: npx tsx bench/reducer.ts [--events 1000000] [--runs 5]
 */
import type { IntentEvent } from '../src/contract/events.js';
import { decodeRecord } from '../src/ingest/decode.js';
import { ProjectionStore } from '../src/reduce/store.js';
import { arg, dataset, median, summary } from './lib/dataset.js';

const events = arg('events', 1_000_000);
const runs = arg('runs', 5);
const CHUNK = 20_000;

const t0 = performance.now();
const { values, ends, intents } = (() => {
  const ds = dataset(events);
  const parts = ds.merged.map((e) => Buffer.from(JSON.stringify(e.event)));
  const ends = new Uint32Array(parts.length);
  let at = 0;
  parts.forEach((p, i) => {
    at += p.length;
    ends[i] = at;
  });
  return { values: Buffer.concat(parts), ends, intents: ds.intents };
})();
const n = ends.length;
const valueAt = (i: number): Buffer => values.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]!);
process.stderr.write(
  `dataset: ${n} events, ${intents} intents, ${(values.length / 1048576).toFixed(0)} MiB, generated in ${((performance.now() - t0) / 1000).toFixed(1)}s\n`,
);

function decodeChunk(from: number, to: number): IntentEvent[] {
  const out: IntentEvent[] = [];
  for (let i = from; i < to; i++) {
    const d = decodeRecord({ value: valueAt(i) });
    if (!d.ok) throw new Error(d.reason);
    out.push(d.event);
  }
  return out;
}

/**
 * How a store takes an event: `apply` makes the diff fan-out reads (live, and the end of the
 * replay the resume window keeps); `fold` makes none (the replay before that, src/pipeline.ts).
 */
type Path = 'apply' | 'fold';
const step = (store: ProjectionStore, path: Path, e: IntentEvent): void => {
  if (path === 'apply') store.apply(e);
  else store.fold(e);
};

/** Fold only: each chunk is decoded untimed, then folded timed. */
function foldDecoded(path: Path): number {
  const store = new ProjectionStore();
  let ms = 0;
  for (let from = 0; from < n; from += CHUNK) {
    const chunk = decodeChunk(from, Math.min(n, from + CHUNK));
    const t = performance.now();
    for (let i = 0; i < chunk.length; i++) step(store, path, chunk[i]!);
    ms += performance.now() - t;
  }
  if (store.size === 0) throw new Error('nothing folded');
  return ms;
}

/** Decode (Buffer → JSON.parse → zod) and fold, all timed. */
function foldRaw(path: Path): number {
  const store = new ProjectionStore();
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const d = decodeRecord({ value: valueAt(i) });
    if (d.ok) step(store, path, d.event);
  }
  const ms = performance.now() - t;
  if (store.size === 0) throw new Error('nothing folded');
  return ms;
}

const decodedMs: number[] = [];
const rawMs: number[] = [];
const replayDecodedMs: number[] = [];
const replayRawMs: number[] = [];
foldRaw('apply'); // warm-up
foldRaw('fold');
const rate = (ms: number): string => (n / (ms / 1000)).toFixed(0);
for (let r = 0; r < runs; r++) {
  decodedMs.push(foldDecoded('apply'));
  replayDecodedMs.push(foldDecoded('fold'));
  rawMs.push(foldRaw('apply'));
  replayRawMs.push(foldRaw('fold'));
  process.stderr.write(
    `run ${r + 1}/${runs}: decoded ${rate(decodedMs[r]!)} ev/s (replay's fold ${rate(replayDecodedMs[r]!)}), ` +
      `with decode ${rate(rawMs[r]!)} ev/s (replay's fold ${rate(replayRawMs[r]!)})\n`,
  );
}
const dec = median(decodedMs);
const raw = median(rawMs);
summary('reducer', {
  events: n,
  intents,
  runs,
  // store.apply, a diff per change (what the service does live)
  decodedEventsPerSec: Math.round(n / (dec / 1000)),
  withDecodeEventsPerSec: Math.round(n / (raw / 1000)),
  // store.fold, no diff (what the replay does until the resume window's part of it)
  replayDecodedEventsPerSec: Math.round(n / (median(replayDecodedMs) / 1000)),
  replayWithDecodeEventsPerSec: Math.round(n / (median(replayRawMs) / 1000)),
  decodeShare: Number(((raw - dec) / raw).toFixed(3)),
  // goals of issue 14 (BENCHMARKS.md)
  goalDecodedEventsPerSec: 1_000_000,
  goalWithDecodeEventsPerSec: 300_000,
});
