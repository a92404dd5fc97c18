/**
 * The pipeline (decode → fold → fan-out) over Kafka-shaped batches: where a source cuts its
 * batches changes nothing a client sees. Random histories, random interleavings of the two
 * topics, random batch cuts (each batch holds records of one topic, as a source delivers them):
 * the emissions (with a fixed clock), the dead letters and the final projections equal those of
 * the same records in maximal batches. Before catch-up nothing is emitted, whatever the cuts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IntentEventInput } from '../src/contract/events.js';
import type { Emission } from '../src/fanout/emissions.js';
import { formatIntent } from '../src/fanout/format.js';
import type { DeadLetterSink, SourceBatch, SourceRecord } from '../src/ingest/source.js';
import { Pipeline } from '../src/pipeline.js';
import { ProjectionStore } from '../src/reduce/store.js';
import { historyArb, interleavingArb } from './support/histories.js';

const TOPICS = { lifecycle: 'L', proofs: 'P' } as const;
type Tagged = { readonly topic: string; readonly event: IntentEventInput | string };
const WRONG_TOPIC: IntentEventInput = {
  eventId: 'wrong-topic',
  type: 'intent.cancelled',
  intentId: `0x${'cd'.repeat(32)}`,
  occurredAt: '2026-11-27T10:00:00.000Z',
  data: {},
};

function record(t: Tagged, offset: number): SourceRecord {
  const value = typeof t.event === 'string' ? t.event : JSON.stringify(t.event);
  return { topic: t.topic, partition: 0, offset: String(offset), key: null, value: Buffer.from(value), headers: {} };
}

/** Consecutive records of one topic form a run; each run is cut where `cuts` says. */
function batches(seq: readonly Tagged[], cuts: readonly boolean[]): SourceBatch[] {
  const out: SourceBatch[] = [];
  let current: SourceRecord[] = [];
  let topic = '';
  seq.forEach((t, i) => {
    if (current.length > 0 && (t.topic !== topic || cuts[i] === true)) {
      out.push({ topic, partition: 0, records: current });
      current = [];
    }
    topic = t.topic;
    current.push(record(t, i));
  });
  if (current.length > 0) out.push({ topic, partition: 0, records: current });
  return out;
}

async function run(bs: readonly SourceBatch[], live: boolean) {
  const emissions: Emission[] = [];
  const dead: string[] = [];
  const dlq: DeadLetterSink = { write: async (r, reason) => void dead.push(`${r.offset}: ${reason}`) };
  const p = new Pipeline({
    store: new ProjectionStore(),
    sink: { deliver: (es) => emissions.push(...es), statsChanged: () => undefined, caughtUp: () => undefined },
    dlq,
    clock: () => 42,
    topics: TOPICS,
  });
  if (live) p.markCaughtUp();
  for (const b of bs) await p.applyBatch(b);
  const projections = [...p.store.projections()].map((x) => formatIntent(x, 0)).sort((a, b) => a.intentId.localeCompare(b.intentId));
  return { emissions, dead, projections, stats: p.store.stats() };
}

/** A history's two topics interleaved, with some poison records (bad JSON, wrong topic) mixed in. */
const sequences = historyArb({ maxIntents: 8, truncateRate: 0.1 })
  .chain((h) =>
    interleavingArb<Tagged>(
      h.lifecycle.map((event) => ({ topic: TOPICS.lifecycle, event })),
      h.proof.map((event) => ({ topic: TOPICS.proofs, event })),
    ),
  )
  .chain((seq) =>
    fc.tuple(
      fc.constant(seq),
      fc.array(fc.boolean(), { minLength: seq.length, maxLength: seq.length }),
      fc.array(fc.nat({ max: Math.max(0, seq.length) }), { maxLength: 3 }),
    ),
  )
  .map(([seq, cuts, poisonAt]) => {
    const withPoison = [...seq];
    for (const [k, at] of poisonAt.entries()) {
      // bad JSON on the lifecycle topic, or a lifecycle event on the proof topic (wrong topic)
      const poison: Tagged = k % 2 === 0 ? { topic: TOPICS.lifecycle, event: '{"not json' } : { topic: TOPICS.proofs, event: WRONG_TOPIC };
      withPoison.splice(at, 0, poison);
    }
    return { seq: withPoison, cuts };
  });

describe('pipeline batching', () => {
  it('batch cuts change no emission, dead letter or projection (live)', async () => {
    await fc.assert(
      fc.asyncProperty(sequences, async ({ seq, cuts }) => {
        const whole = await run(batches(seq, []), true);
        const cut = await run(batches(seq, cuts), true);
        expect(cut).toEqual(whole);
        expect(whole.projections.length === 0 || whole.emissions.length > 0).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('before catch-up nothing is emitted, whatever the cuts, and the projections are the same', async () => {
    await fc.assert(
      fc.asyncProperty(sequences, async ({ seq, cuts }) => {
        const replay = await run(batches(seq, cuts), false);
        const live = await run(batches(seq, []), true);
        expect(replay.emissions).toEqual([]);
        expect(replay.projections).toEqual(live.projections);
        expect(replay.dead).toEqual(live.dead);
      }),
      { numRuns: 100 },
    );
  });
});
