/**
 * `store.fold(event)` (the replay's path, src/pipeline.ts: no diff made while nothing is emitted
 * or kept) changes the store exactly as `store.apply(event)` does: same projections, tombstones,
 * stats and event-time clocks, and it says there was a change exactly when `apply` returns a
 * diff. And a store that switches from `fold` to `apply` at any event (the replay reaching its
 * end) makes the same diffs from there on as one that applied everything.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IntentEvent } from '../../src/contract/events.js';
import type { Diff } from '../../src/reduce/diff.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { anyWireEventArb, decodeAll, historyArb, interleavingArb, redeliveriesArb } from '../support/histories.js';

const realistic: fc.Arbitrary<IntentEvent[]> = historyArb({ maxIntents: 12, truncateRate: 0.15, mixedCaseIds: true })
  .map((h) => ({ lifecycle: decodeAll(h.lifecycle), proof: decodeAll(h.proof) }))
  .chain((h) => fc.tuple(redeliveriesArb(h.lifecycle), redeliveriesArb(h.proof)))
  .chain(([l, p]) => interleavingArb(l, p));
const arbitrary: fc.Arbitrary<IntentEvent[]> = fc
  .array(anyWireEventArb({ intents: 3, eventIds: 40, seconds: 20 }), { maxLength: 80 })
  .map((wire) => decodeAll(wire));

function image(store: ProjectionStore): unknown {
  const i = store.exportImage();
  return {
    states: [...i.states],
    tombstoneQueue: [...i.tombstoneQueue],
    lifecycleTime: i.lifecycleTime,
    proofTime: i.proofTime,
    eventsApplied: i.eventsApplied,
    stats: store.stats(),
    size: store.size,
    tombstones: store.tombstones,
  };
}

function checkSameAsApply(events: readonly IntentEvent[]): void {
  const applied = new ProjectionStore();
  const folded = new ProjectionStore();
  for (const e of events) {
    const diff = applied.apply(e);
    expect(folded.fold(e)).toBe(diff !== null);
    expect(folded.stats()).toEqual(applied.stats());
  }
  expect(image(folded)).toEqual(image(applied));
}

function checkSwitchToApply(events: readonly IntentEvent[], switchAt: number): void {
  const applied = new ProjectionStore();
  const switched = new ProjectionStore();
  const a: (Diff | null)[] = [];
  const b: (Diff | null)[] = [];
  events.forEach((e, i) => {
    const d = applied.apply(e);
    if (i < switchAt) switched.fold(e);
    else {
      a.push(d);
      b.push(switched.apply(e));
      // a diff's projection is read at once (fan-out does)
      expect(b[b.length - 1] === null ? null : projectionOf(b[b.length - 1]!)).toEqual(d === null ? null : projectionOf(d));
    }
  });
  expect(b).toEqual(a);
  expect(image(switched)).toEqual(image(applied));
}

const projectionOf = (d: Diff): unknown => (d.kind === 'removed' ? d.previous : d.projection);

describe('store.fold: apply without a diff', () => {
  it('changes the store exactly as apply does, over realistic histories with redeliveries', () => {
    fc.assert(
      fc.property(realistic, (events) => checkSameAsApply(events)),
      { numRuns: 150 },
    );
  });

  it('changes the store exactly as apply does, on arbitrary decoded events', () => {
    fc.assert(
      fc.property(arbitrary, (events) => checkSameAsApply(events)),
      { numRuns: 300 },
    );
  });

  it('a store switching from fold to apply at any event makes the same diffs from there on', () => {
    fc.assert(
      fc.property(
        fc.oneof(realistic, arbitrary).chain((events) => fc.tuple(fc.constant(events), fc.nat({ max: events.length }))),
        ([events, switchAt]) => checkSwitchToApply(events, switchAt),
      ),
      { numRuns: 200 },
    );
  });
});
