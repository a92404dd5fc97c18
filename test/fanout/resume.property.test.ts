/**
 * Positions, the resume window and filters, on generated histories (test/support/histories.ts)
 * spread over two partitions per topic and fed record by record, in a random order that keeps
 * each partition's order, through the real Pipeline:
 *
 * - resume on the same node from the position of any emission returns exactly the emissions
 *   after it for that subscription (all-intents, a filter, one intent), positions included;
 * - resume on another node (another interleaving) returns exactly that node's emissions of the
 *   records the position does not cover (the rest of a partially covered record first);
 * - the emissions of a filtered subscription equal the all-intents emissions filtered by the
 *   same predicate (written here on the server's projection, independently of filters.ts);
 * - a position outside the window, ahead of the node, or malformed is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IntentEventInput } from '../../src/contract/events.js';
import { ALL_INTENTS_ROOM, type IntentFilter } from '../../src/contract/socket.js';
import type { PositionedEmission } from '../../src/fanout/emissions.js';
import { FilterIndex, filterRoom } from '../../src/fanout/filters.js';
import { type Cut, decodePosition, encodePosition, topicsHash } from '../../src/fanout/position.js';
import { Stream } from '../../src/fanout/stream.js';
import type { SourceRecord } from '../../src/ingest/source.js';
import { Pipeline } from '../../src/pipeline.js';
import type { Projection } from '../../src/reduce/projection.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { wantsOf, type SubscriptionSpec } from '../../src/transport/subscriptions.js';
import { historyArb } from '../support/histories.js';

const TOPICS = { lifecycle: 'L', proofs: 'P' };
const HASH = topicsHash('L', 'P');

interface Rec {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly event: IntentEventInput;
}

/** The history's records on two partitions per topic (by intent), with their offsets. */
function partitioned(lifecycle: readonly IntentEventInput[], proof: readonly IntentEventInput[]): Rec[][] {
  const queues: Rec[][] = [[], [], [], []];
  const put = (topic: string, base: number, e: IntentEventInput): void => {
    const partition = Number.parseInt(e.intentId.slice(-2), 16) % 2;
    const q = queues[base + partition]!;
    q.push({ topic, partition, offset: q.length, event: e });
  };
  for (const e of lifecycle) put('L', 0, e);
  for (const e of proof) put('P', 2, e);
  return queues;
}

/** Merges the partitions in an order chosen by `picks` (each partition keeps its order). */
function merge(queues: readonly Rec[][], picks: readonly number[]): Rec[] {
  const heads = queues.map(() => 0);
  const out: Rec[] = [];
  let i = 0;
  for (;;) {
    const open = queues.map((q, k) => (heads[k]! < q.length ? k : -1)).filter((k) => k >= 0);
    if (open.length === 0) return out;
    const k = open[(picks[i++ % Math.max(1, picks.length)] ?? 0) % open.length]!;
    out.push(queues[k]![heads[k]!++]!);
  }
}

interface Delivered {
  readonly e: PositionedEmission;
  /** the record that made it and its number among that record's emissions */
  readonly rec: Rec;
  readonly index: number;
  /** the intent's projection after the record (before it, for a removal) */
  readonly state: Projection;
}

interface Node {
  readonly pipeline: Pipeline;
  readonly delivered: Delivered[];
}

/** A live node fed `records` one by one (one batch each), recording who made each emission. */
async function run(records: readonly Rec[], windowSize = 100_000): Promise<Node> {
  const delivered: Delivered[] = [];
  let current: { rec: Rec; prev: Projection | undefined } | null = null;
  let index = 0;
  const store = new ProjectionStore();
  const pipeline: Pipeline = new Pipeline({
    store,
    sink: {
      deliver: (es) => {
        for (const e of es) {
          const c = current!;
          const id = c.rec.event.intentId.toLowerCase();
          const state = store.get(id) ?? c.prev!;
          delivered.push({ e, rec: c.rec, index: index++, state });
        }
      },
      statsChanged: () => undefined,
      caughtUp: () => undefined,
    },
    dlq: { write: () => Promise.resolve() },
    clock: () => 1_000,
    topics: TOPICS,
    stream: new Stream(TOPICS, windowSize),
  });
  pipeline.markCaughtUp();
  for (const rec of records) {
    current = { rec, prev: pipeline.store.get(rec.event.intentId.toLowerCase()) };
    index = 0;
    const record: SourceRecord = {
      topic: rec.topic,
      partition: rec.partition,
      offset: String(rec.offset),
      key: null,
      value: Buffer.from(JSON.stringify(rec.event)),
      headers: {},
    };
    await pipeline.applyBatch({ topic: rec.topic, partition: rec.partition, records: [record] });
  }
  return { pipeline, delivered };
}

const same = (a: Rec, b: Rec): boolean => a.topic === b.topic && a.partition === b.partition && a.offset === b.offset;
/** what a client receives: the JSON of each emission (key order included) */
const shape = (es: readonly PositionedEmission[]) => es.map((e) => JSON.stringify([e.event, e.payload]));
const withoutPosition = (es: readonly PositionedEmission[]) =>
  es.map((e) => {
    const { position: _p, ...rest } = e.payload;
    return [e.event, rest];
  });

/** The test's own predicate: every given field of the filter equals the projection's. */
function inFilter(f: IntentFilter, p: Pick<Projection, 'user' | 'solver' | 'fromChain' | 'toChain'>): boolean {
  return (
    (f.user === undefined || f.user === p.user) &&
    (f.solver === undefined || f.solver === p.solver) &&
    (f.fromChain === undefined || f.fromChain === p.fromChain) &&
    (f.toChain === undefined || f.toChain === p.toChain)
  );
}

/** Filters drawn from values the history really has (so they match some intents). */
function filtersOf(node: Node): IntentFilter[] {
  const ps = node.delivered.map((d) => d.state);
  const users = [...new Set(ps.map((p) => p.user).filter((u): u is string => u !== null))];
  const solvers = [...new Set(ps.map((p) => p.solver).filter((u): u is string => u !== null))];
  const chains = [...new Set(ps.map((p) => p.fromChain).filter((u): u is number => u !== null))];
  const out: IntentFilter[] = [];
  if (users[0] !== undefined) out.push({ user: users[0] });
  if (solvers[0] !== undefined) out.push({ solver: solvers[0] });
  if (chains[0] !== undefined) out.push({ fromChain: chains[0] });
  if (chains[0] !== undefined && users[1] !== undefined) out.push({ fromChain: chains[0], user: users[1] });
  out.push({ toChain: 999_999 });
  return out;
}

const historyCase = fc.record({
  history: historyArb({ maxIntents: 8, rematchRate: 0.3, removeRate: 0.3 }),
  picksA: fc.array(fc.nat(3), { minLength: 1, maxLength: 200 }),
  picksB: fc.array(fc.nat(3), { minLength: 1, maxLength: 200 }),
  cut: fc.double({ min: 0, max: 1, noNaN: true }),
});

describe('positions', () => {
  it('encode and decode round-trip; other topics, other versions and garbage do not decode', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(2 ** 40), { maxLength: 12 }), fc.option(fc.nat(3)), (offsets, k) => {
        const slot = offsets.findIndex((o) => o > 0);
        const partial = k !== null && slot >= 0 ? { slot, index: k } : null;
        const s = encodePosition(HASH, { offsets, partial });
        expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
        const back = decodePosition(HASH, s);
        let n = offsets.length;
        while (n > 0 && offsets[n - 1] === 0) n--;
        expect(back?.offsets).toEqual(offsets.slice(0, Math.max(n, partial === null ? 0 : partial.slot + 1)));
        expect(back?.partial).toEqual(partial);
        expect(decodePosition(topicsHash('L', 'other'), s)).toBeNull();
      }),
    );
    for (const bad of ['', 'x', '!!', 'AAAAAAAA', 42, null, {}, 'A'.repeat(5000)]) expect(decodePosition(HASH, bad)).toBeNull();
  });
});

/** The position a client has after the first `j` emissions (the stream's start for none). */
function positionBefore(all: readonly PositionedEmission[], j: number): Cut {
  return j === 0
    ? decodePosition(HASH, encodePosition(HASH, { offsets: [], partial: null }))!
    : decodePosition(HASH, all[j - 1]!.payload.position)!;
}

describe('resume', () => {
  it('on the same node: from any emission, exactly the emissions after it for each subscription', async () => {
    await fc.assert(
      fc.asyncProperty(historyCase, async ({ history, picksA, cut }) => {
        const node = await run(merge(partitioned(history.lifecycle, history.proof), picksA));
        const all = node.delivered.map((d) => d.e);
        const j = Math.floor(cut * all.length);
        const since = positionBefore(all, j);
        const specs: SubscriptionSpec[] = [
          { kind: 'all' },
          ...filtersOf(node).map((filter): SubscriptionSpec => ({ kind: 'filter', filter })),
          ...history.intentIds.slice(0, 3).map((intentId): SubscriptionSpec => ({ kind: 'intent', intentId })),
        ];
        for (const spec of specs) {
          const wants = wantsOf(spec);
          const answer = node.pipeline.stream.missed(since, (e) => wants(e));
          expect(answer.ok).toBe(true);
          if (answer.ok) expect(shape(answer.emissions)).toEqual(shape(all.slice(j).filter(wants)));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('paced: read in parts of any size, each from the last emission written (cut anywhere in it), the same emissions', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyCase,
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        async ({ history, picksA, cut }, limit, stops) => {
          const node = await run(merge(partitioned(history.lifecycle, history.proof), picksA));
          const all = node.delivered.map((d) => d.e);
          const j = Math.floor(cut * all.length);
          const start = positionBefore(all, j);
          for (const spec of [
            { kind: 'all' } as SubscriptionSpec,
            ...filtersOf(node).map((filter): SubscriptionSpec => ({ kind: 'filter', filter })),
          ]) {
            const wants = wantsOf(spec);
            const got: PositionedEmission[] = [];
            let since = start;
            for (let round = 0; round < 10_000; round++) {
              const answer = node.pipeline.stream.missed(since, (e) => wants(e), undefined, limit);
              expect(answer.ok).toBe(true);
              if (!answer.ok) break;
              // as a paced resume does: it may stop writing anywhere in a part, and goes on from the last one written
              const take = Math.min(answer.emissions.length, 1 + (stops[round % stops.length]! % (answer.emissions.length + 1)));
              got.push(...answer.emissions.slice(0, take));
              if (take === answer.emissions.length && !answer.more) break;
              since = decodePosition(HASH, answer.emissions[take - 1]!.payload.position)!;
            }
            expect(shape(got)).toEqual(shape(all.slice(j).filter(wants)));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('on another node: exactly its emissions of the records the position does not cover, in its order', async () => {
    await fc.assert(
      fc.asyncProperty(historyCase, async ({ history, picksA, picksB, cut }) => {
        const queues = partitioned(history.lifecycle, history.proof);
        const orderA = merge(queues, picksA);
        const a = await run(orderA);
        const b = await run(merge(queues, picksB));
        if (a.delivered.length === 0) return;
        const j = Math.max(1, Math.floor(cut * a.delivered.length));
        const last = a.delivered[j - 1]!;
        const seenByA = orderA.slice(0, orderA.indexOf(last.rec) + 1);
        const lastOfRecord = a.delivered.filter((d) => d.rec === last.rec).length - 1;
        const since = decodePosition(HASH, last.e.payload.position)!;
        for (const spec of [
          { kind: 'all' } as SubscriptionSpec,
          ...history.intentIds.slice(0, 2).map((intentId): SubscriptionSpec => ({ kind: 'intent', intentId })),
        ]) {
          const wants = wantsOf(spec);
          const rest = last.index < lastOfRecord ? b.delivered.filter((d) => same(d.rec, last.rec) && d.index > last.index) : [];
          const expected = [...rest, ...b.delivered.filter((d) => !seenByA.some((r) => same(r, d.rec)))].filter((d) => wants(d.e));
          const answer = b.pipeline.stream.missed(since, (e) => wants(e));
          expect(answer.ok).toBe(true);
          if (answer.ok) expect(withoutPosition(answer.emissions)).toEqual(withoutPosition(expected.map((d) => d.e)));
          // positions keep growing: the last one resumes to nothing more
          if (answer.ok && answer.emissions.length > 0) {
            const end = decodePosition(HASH, answer.emissions[answer.emissions.length - 1]!.payload.position)!;
            const again = b.pipeline.stream.missed(end, (e) => wants(e));
            expect(again.ok && again.emissions.length).toBe(0);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a filtered subscription gets exactly the all-intents emissions whose intent matches, live and resumed', async () => {
    await fc.assert(
      fc.asyncProperty(historyCase, async ({ history, picksA, cut }) => {
        const node = await run(merge(partitioned(history.lifecycle, history.proof), picksA));
        const filters = filtersOf(node);
        const index = new FilterIndex();
        for (const f of filters) index.add(f);
        const allRoom = node.delivered.filter((d) => d.e.rooms.includes(ALL_INTENTS_ROOM));
        for (const f of filters) {
          // live: the rooms the transport adds to an all-intents broadcast (server.ts)
          const live = node.delivered.filter(
            (d) => d.e.rooms.includes(ALL_INTENTS_ROOM) && index.roomsFor(d.e.intent).includes(filterRoom(f)),
          );
          expect(shape(live.map((d) => d.e))).toEqual(shape(allRoom.filter((d) => inFilter(f, d.state)).map((d) => d.e)));
          // resumed from the same position: the filtered all-intents resume
          const j = Math.floor(cut * node.delivered.length);
          if (j === 0) continue;
          const since = decodePosition(HASH, node.delivered[j - 1]!.e.payload.position)!;
          const filtered = node.pipeline.stream.missed(since, wantsOf({ kind: 'filter', filter: f }));
          const everything = node.pipeline.stream.missed(since, wantsOf({ kind: 'all' }));
          expect(filtered.ok && everything.ok).toBe(true);
          if (filtered.ok && everything.ok) {
            expect(shape(filtered.emissions)).toEqual(shape(everything.emissions.filter((e) => inFilter(f, e.intent))));
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refused outside the window, ahead of the node; a capacity-0 window resumes only an up-to-date position', async () => {
    await fc.assert(
      fc.asyncProperty(historyCase, async ({ history, picksA }) => {
        const order = merge(partitioned(history.lifecycle, history.proof), picksA);
        const full = await run(order);
        const small = await run(order, 3);
        if (full.delivered.length < 10) return;
        const early = decodePosition(HASH, full.delivered[0]!.e.payload.position)!;
        expect(small.pipeline.stream.missed(early, () => true)).toEqual({ ok: false, reason: 'outside_window' });
        const half = await run(order.slice(0, Math.floor(order.length / 2)));
        const lastPos = decodePosition(HASH, full.delivered[full.delivered.length - 1]!.e.payload.position)!;
        if (!half.pipeline.stream.reached(lastPos))
          expect(half.pipeline.stream.missed(lastPos, () => true)).toEqual({ ok: false, reason: 'ahead' });
        const none = await run(order, 0);
        const now = decodePosition(HASH, none.pipeline.stream.position())!;
        expect(none.pipeline.stream.missed(now, () => true)).toEqual({ ok: true, emissions: [], more: false });
      }),
      { numRuns: 30 },
    );
  });
});
