/**
 * Tombstones of removed intents are bounded: `pruneTombstones()` drops those older than
 * `tombstoneRetentionMs` of event time, oldest first. Event time is the smaller of the two
 * topics' latest occurredAt, so one topic running ahead cannot drop a tombstone the other still
 * needs. Within the window a tombstone refuses the removed intent's older records; after it, such
 * a record starts a new projection (the documented price).
 */
import { describe, expect, it } from 'vitest';
import { ProjectionStore } from '../../src/reduce/store.js';
import { ID, matched, OTHER_ID, proofRequested, removed, submitted } from './given.js';

const HOUR = 3600; // given.ts times are seconds after T0
const A = `0x${'a1'.repeat(32)}`;
const B = `0x${'b2'.repeat(32)}`;
const retained = () => new ProjectionStore({ tombstoneRetentionMs: 2 * HOUR * 1000 });
/** both topics reach second `s` (events of an unrelated intent) */
const both = (s: number) => [
  matched(s, 'x', { intentId: OTHER_ID, eventId: `l-${s}` }),
  proofRequested(s, { intentId: OTHER_ID, eventId: `p-${s}` }),
];

describe('tombstone retention', () => {
  it('a tombstone refuses older records of the removed intent within the window', () => {
    const store = retained();
    store.applyAll([submitted(1), removed(10), submitted(0, { intentId: OTHER_ID }), ...both(HOUR)]);
    store.pruneTombstones();
    expect(store.tombstones).toBe(1);
    expect(store.apply(matched(5))).toBeNull();
    expect(store.get(ID)).toBeUndefined();
  });

  it('is dropped once both topics are past the window, and memory for it is given back', () => {
    const store = retained();
    store.applyAll([submitted(1), removed(10), submitted(0, { intentId: OTHER_ID }), ...both(3 * HOUR)]);
    store.pruneTombstones();
    expect(store.tombstones).toBe(0);
    expect(store.size).toBe(1);
    // a record that old for the removed intent now starts a new projection (documented price)
    expect(store.apply(matched(5))?.kind).toBe('created');
  });

  it('one topic running ahead (or one future-dated record) does not drop it', () => {
    const store = retained();
    store.applyAll([submitted(1), removed(10), submitted(0, { intentId: OTHER_ID })]);
    store.apply(matched(100 * HOUR, 'x', { intentId: OTHER_ID })); // lifecycle far ahead, proofs not
    store.pruneTombstones();
    expect(store.tombstones).toBe(1);
    expect(store.apply(proofRequested(5))).toBeNull(); // the proof topic's late record is still refused
  });

  it('drops them oldest first, and an intent alive again or removed again keeps its state', () => {
    const store = retained();
    store.applyAll([
      submitted(1, { intentId: A }),
      removed(10, { intentId: A }),
      submitted(20, { intentId: B }),
      removed(HOUR, { intentId: B }),
      submitted(0, { intentId: OTHER_ID }),
    ]);
    // A alive again after its removal: no longer a tombstone, still refusing its pre-removal records
    store.apply(submitted(HOUR + 10, { intentId: A, eventId: 'second-life' }));
    store.applyAll(both(2 * HOUR + 60));
    store.pruneTombstones();
    expect(store.tombstones).toBe(1); // B's is within the window
    expect(store.get(A)).toBeDefined();
    expect(store.apply(matched(5, 'zombie', { intentId: A }))).toBeNull();
    store.applyAll(both(3 * HOUR + 60));
    store.pruneTombstones();
    expect(store.tombstones).toBe(0);
    expect(store.get(A)?.status).toBe('SUBMITTED');
  });

  it('keeps every tombstone without a retention (the reducer default)', () => {
    const store = new ProjectionStore();
    store.applyAll([submitted(1), removed(10), ...both(1_000_000)]);
    store.pruneTombstones();
    expect(store.tombstones).toBe(1);
  });
});
