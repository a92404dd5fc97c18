/**
 * Tombstones of removed intents are bounded: kept for `tombstoneRetentionMs` of event time (the
 * greatest occurredAt applied), then dropped in the order they were made. Within the window they
 * refuse the removed intent's older records; after it, such a record starts a new projection
 * (the documented price: records that old are past the topics' retention, so a replay never
 * brings them back).
 */
import { describe, expect, it } from 'vitest';
import { ProjectionStore } from '../../src/reduce/store.js';
import { ID, matched, OTHER_ID, removed, submitted } from './given.js';

const HOUR = 3600; // given.ts times are seconds after T0

describe('tombstone retention', () => {
  it('a tombstone refuses older records of the removed intent within the retention window', () => {
    const store = new ProjectionStore({ tombstoneRetentionMs: 2 * HOUR * 1000 });
    store.applyAll([submitted(1), removed(10), submitted(HOUR, { intentId: OTHER_ID })]);
    expect(store.tombstones).toBe(1);
    expect(store.apply(matched(5))).toBeNull();
    expect(store.get(ID)).toBeUndefined();
  });

  it('is dropped once event time has moved past the window, and memory for it is given back', () => {
    const store = new ProjectionStore({ tombstoneRetentionMs: 2 * HOUR * 1000 });
    store.applyAll([submitted(1), removed(10), submitted(2, { intentId: OTHER_ID })]);
    expect(store.tombstones).toBe(1);
    store.apply(matched(3 * HOUR, 'x', { intentId: OTHER_ID }));
    expect(store.tombstones).toBe(0);
    expect(store.size).toBe(1);
    // a record that old for the removed intent now starts a new projection (documented price)
    expect(store.apply(matched(5))?.kind).toBe('created');
  });

  it('drops them in the order they were made, and an intent alive again keeps its cut-off', () => {
    const store = new ProjectionStore({ tombstoneRetentionMs: 2 * HOUR * 1000 });
    const A = `0x${'a1'.repeat(32)}`;
    const B = `0x${'b2'.repeat(32)}`;
    store.applyAll([submitted(1, { intentId: A }), removed(10, { intentId: A }), submitted(20, { intentId: B }), removed(HOUR, { intentId: B })]);
    expect(store.tombstones).toBe(2);
    // A is alive again after its removal: no longer a tombstone, still refusing its pre-removal records
    store.apply(submitted(HOUR + 10, { intentId: A, eventId: 'second-life' }));
    expect(store.tombstones).toBe(1);
    store.apply(matched(2 * HOUR + 60, 'x', { intentId: A }));
    expect(store.get(A)?.solver).toBe('x');
    // past A's old removal + 2h but within B's window: B's tombstone stays, A's live projection stays
    expect(store.tombstones).toBe(1);
    expect(store.apply(matched(5, 'zombie', { intentId: A }))).toBeNull();
    store.apply(matched(3 * HOUR + 60, 'y', { intentId: A }));
    expect(store.tombstones).toBe(0);
    expect(store.get(A)?.solver).toBe('y');
  });

  it('keeps every tombstone without a retention (the reducer default)', () => {
    const store = new ProjectionStore();
    store.applyAll([submitted(1), removed(10), submitted(1_000_000, { intentId: OTHER_ID })]);
    expect(store.tombstones).toBe(1);
  });
});
