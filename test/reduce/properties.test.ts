/**
 * Properties of the fold over generated histories (test/support/histories.ts): many intents,
 * both topics, realistic lifecycles with proof failures, failures, cancellations, refunds,
 * truncated histories and removals (always an intent's last fact), intentIds in mixed case.
 *
 * (1) redeliveries change nothing; (2) any interleaving of the two topics that keeps each topic's
 * order gives the same final projections; (3) folding in chunks gives what one pass gives;
 * (4) the running stats always equal a recount; (5) no status, proof status or htlcState ever
 * moves back, and a final one never changes. And the fold never throws on any decoded sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IntentEvent } from '../../src/contract/events.js';
import type { FormattedIntent } from '../../src/contract/socket.js';
import { formatIntent } from '../../src/fanout/format.js';
import type { Diff } from '../../src/reduce/diff.js';
import type { Projection } from '../../src/reduce/projection.js';
import { countStats, type MempoolStats } from '../../src/reduce/stats.js';
import { htlcRank, isFinalHtlc, isFinalProof, isFinalStatus, proofRank, statusRank } from '../../src/reduce/status.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import {
  anyWireEventArb,
  chunkedArb,
  decodeAll,
  historyArb,
  interleave,
  interleavingArb,
  redeliveriesArb,
  type GeneratedHistory,
} from '../support/histories.js';

const RUNS = 150;

interface Decoded {
  lifecycle: IntentEvent[];
  proof: IntentEvent[];
}

const histories: fc.Arbitrary<Decoded> = historyArb({ maxIntents: 12, truncateRate: 0.15, mixedCaseIds: true }).map(
  (h: GeneratedHistory) => ({ lifecycle: decodeAll(h.lifecycle), proof: decodeAll(h.proof) }),
);

/** A history and one interleaving of its two topics (each topic's order kept). */
const merged: fc.Arbitrary<IntentEvent[]> = histories.chain((h) => interleavingArb(h.lifecycle, h.proof));

interface Final {
  intents: Omit<FormattedIntent, 'position'>[];
  tombstones: number;
  stats: MempoolStats;
}

function finalOf(store: ProjectionStore): Final {
  const intents = [...store.projections()]
    .map((p) => formatIntent(p, 0))
    .sort((a, b) => (a.intentId < b.intentId ? -1 : a.intentId > b.intentId ? 1 : 0));
  return { intents, tombstones: store.tombstones, stats: store.stats() };
}

function fold(events: Iterable<IntentEvent>): ProjectionStore {
  const store = new ProjectionStore();
  store.applyAll(events);
  return store;
}

describe('fold properties over realistic histories', () => {
  it('the generator makes what the properties need: many intents, both topics, every ending', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(histories, (h) => {
        for (const e of [...h.lifecycle, ...h.proof]) seen.add(e.type);
      }),
      { numRuns: 100 },
    );
    for (const type of [
      'intent.removed',
      'intent.refunded',
      'intent.cancelled',
      'intent.failed',
      'proof.failed',
      'proof.settlement_generated',
    ]) {
      expect(seen, type).toContain(type);
    }
  });

  it('(1) redelivered records (later in their own topic) change nothing', () => {
    fc.assert(
      fc.property(
        histories.chain((h) =>
          fc.record({
            lifecycle: redeliveriesArb(h.lifecycle, 15),
            proof: redeliveriesArb(h.proof, 15),
            picks: fc.array(fc.boolean(), {
              minLength: h.lifecycle.length + h.proof.length + 30,
              maxLength: h.lifecycle.length + h.proof.length + 30,
            }),
            h: fc.constant(h),
          }),
        ),
        ({ h, lifecycle, proof, picks }) => {
          // the same interleaving decisions for the topic positions both runs share, so the two
          // runs differ by the duplicates only (the baseline keeps each original's position)
          const withDuplicates = interleave(lifecycle, proof, picks);
          const originals = new Set<IntentEvent>();
          const baseline = withDuplicates.filter((e) => (originals.has(e) ? false : (originals.add(e), true)));
          expect(baseline).toHaveLength(h.lifecycle.length + h.proof.length);
          const a = fold(baseline);
          const b = fold(withDuplicates);
          expect(finalOf(b)).toEqual(finalOf(a));
          expect(b.eventsApplied).toBe(a.eventsApplied);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('(2) every interleaving of the two topics gives the same final projections', () => {
    fc.assert(
      fc.property(
        histories.chain((h) => fc.tuple(interleavingArb(h.lifecycle, h.proof), interleavingArb(h.lifecycle, h.proof))),
        ([x, y]) => {
          expect(finalOf(fold(y))).toEqual(finalOf(fold(x)));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('(2b) in particular, all lifecycle records first or all proof records first', () => {
    fc.assert(
      fc.property(histories, (h) => {
        expect(finalOf(fold([...h.proof, ...h.lifecycle]))).toEqual(finalOf(fold([...h.lifecycle, ...h.proof])));
      }),
      { numRuns: RUNS },
    );
  });

  it('(3) folding in chunks into the same store gives the same diffs and result as one pass', () => {
    fc.assert(
      fc.property(
        merged.chain((events) => fc.tuple(fc.constant(events), chunkedArb(events))),
        ([events, chunks]) => {
          const onePass: Diff[] = [];
          const a = new ProjectionStore();
          a.applyAll(events, (d) => onePass.push(d));
          const chunked: Diff[] = [];
          const b = new ProjectionStore();
          for (const c of chunks) b.applyAll(c, (d) => chunked.push(d));
          expect(chunks.flat()).toEqual(events);
          expect(chunked).toEqual(onePass);
          expect(finalOf(b)).toEqual(finalOf(a));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('(4) the running stats equal a recount after every event', () => {
    fc.assert(
      fc.property(
        histories.chain((h) => fc.tuple(redeliveriesArb(h.lifecycle), redeliveriesArb(h.proof))).chain(([l, p]) => interleavingArb(l, p)),
        (events) => checkStatsAfterEveryEvent(events),
      ),
      { numRuns: RUNS },
    );
  });

  it('(5) no status, proof status or htlcState ever moves back; a final one never changes', () => {
    fc.assert(
      fc.property(merged, (events) => checkMonotonic(events)),
      { numRuns: RUNS },
    );
  });
});

describe('the fold on arbitrary decoded events (no realistic order at all)', () => {
  const anyEvents = fc.array(anyWireEventArb({ intents: 3, eventIds: 40, seconds: 20 }), { maxLength: 80 }).map((wire) => decodeAll(wire));

  it('never throws', () => {
    fc.assert(
      fc.property(anyEvents, (events) => {
        const store = new ProjectionStore();
        store.applyAll(events);
        for (const p of store.projections()) formatIntent(p, 0);
      }),
      { numRuns: 300 },
    );
  });

  it('(4) keeps the stats equal to a recount', () => {
    fc.assert(
      fc.property(anyEvents, (events) => checkStatsAfterEveryEvent(events)),
      { numRuns: 300 },
    );
  });

  it('(5) stays monotonic', () => {
    fc.assert(
      fc.property(anyEvents, (events) => checkMonotonic(events)),
      { numRuns: 300 },
    );
  });

  it('(1) ignores any repeat of an eventId of an intent applied in its current life', () => {
    fc.assert(
      fc.property(anyEvents, (events) => {
        const store = new ProjectionStore();
        for (const e of events) {
          store.apply(e);
          const before = store.get(e.intentId);
          expect(store.apply(e)).toBeNull();
          expect(store.get(e.intentId)).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});

function checkStatsAfterEveryEvent(events: readonly IntentEvent[]): void {
  const store = new ProjectionStore();
  for (const e of events) {
    store.apply(e);
    const recount = countStats(store.projections());
    expect(store.stats()).toEqual(recount);
    expect(store.size).toBe(recount.total);
  }
}

function checkMonotonic(events: readonly IntentEvent[]): void {
  const store = new ProjectionStore();
  for (const e of events) {
    const before: Projection | undefined = store.get(e.intentId);
    const diff = store.apply(e);
    const after = store.get(e.intentId);
    if (diff === null) {
      expect(after).toBe(before);
      continue;
    }
    if (diff.kind !== 'updated') continue; // created / removed: a new life, or none
    if (before === undefined || after === undefined) throw new Error('an updated diff needs a projection before and after');
    expect(statusRank(after.status)).toBeGreaterThanOrEqual(statusRank(before.status));
    expect(proofRank(after.proofStatus)).toBeGreaterThanOrEqual(proofRank(before.proofStatus));
    expect(htlcRank(after.htlcState)).toBeGreaterThanOrEqual(htlcRank(before.htlcState));
    if (isFinalStatus(before.status)) expect(after.status).toBe(before.status);
    if (isFinalProof(before.proofStatus)) expect(after.proofStatus).toBe(before.proofStatus);
    if (isFinalHtlc(before.htlcState)) expect(after.htlcState).toBe(before.htlcState);
    // the diff names the change exactly
    if (diff.status !== null) {
      expect(diff.status).toEqual({ from: before.status, to: after.status });
      expect(statusRank(diff.status.to)).toBeGreaterThanOrEqual(statusRank(diff.status.from));
    } else expect(after.status).toBe(before.status);
    if (diff.proof !== null) {
      expect(diff.proof).toEqual({ from: before.proofStatus, to: after.proofStatus });
      expect(proofRank(diff.proof.to)).toBeGreaterThanOrEqual(proofRank(diff.proof.from));
    } else expect(after.proofStatus).toBe(before.proofStatus);
    // fields already set are never cleared
    for (const f of [
      'solver',
      'fromChain',
      'toChain',
      'amount',
      'matchedAt',
      'completedAt',
      'proofGeneratedAt',
      'error',
      'failureReason',
    ] as const) {
      if (before[f] !== null) expect(after[f], f).not.toBeNull();
    }
    for (const k of Object.keys(before.txHashes)) expect(after.txHashes, k).toHaveProperty(k);
    expect(after.version).toBe(before.version + 1);
    expect(after.updatedAt).toBeGreaterThanOrEqual(before.updatedAt);
  }
}
