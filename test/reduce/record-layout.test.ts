/**
 * The record's memory layout (src/reduce/record.ts, docs/reducer.md "Memory per projection"):
 * version and bits in one number; the solver, chains and failure texts in one object shared
 * between records, of which a record setting a rarely set field (removedAt, dedupHorizon) gets
 * its own copy. None of it may show: the projections are the same whichever form a record is in,
 * a version never wraps, and a snapshot (src/snapshot/codec.ts) gives back the same forms
 * (shared values shared, own copies own).
 */
import { describe, expect, it } from 'vitest';
import { MAX_REMEMBERED_EVENTS } from '../../src/reduce/dedup.js';
import { type IntentRecord, isOwn, MAX_VERSION, NO_COMMON, VERSION_UNIT } from '../../src/reduce/record.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { decodeImage, encodeImage } from '../../src/snapshot/codec.js';
import { cancelled, completed, ev, failed, ID, matched, OTHER_ID, removed, sourceLocked, submitted, t } from './given.js';

const recordOf = (store: ProjectionStore, id = ID): IntentRecord => {
  for (const [k, r] of store.exportRecords().live) if (k === id) return r;
  throw new Error(`no record for ${id}`);
};
/** the store a snapshot of `store` restores */
const restored = (store: ProjectionStore): ProjectionStore => ProjectionStore.fromRecords(decodeImage(encodeImage(store.exportRecords())));
const projections = (store: ProjectionStore) => [...store.projections()];

describe('record layout', () => {
  it('a plain history shares its common values; a second life or a long history gets its own copy, kept through a snapshot', () => {
    const plain = new ProjectionStore();
    plain.applyAll([submitted(1), matched(2), sourceLocked(3), completed(4)]);
    expect(isOwn(recordOf(plain).common)).toBe(false);
    expect(Object.isFrozen(recordOf(plain).common)).toBe(true);
    expect(isOwn(recordOf(restored(plain)).common)).toBe(false);

    // a second life remembers the removal, and keeps it through later changes of the shared values
    const again = new ProjectionStore();
    again.applyAll([submitted(1), removed(2), submitted(3, { eventId: 'again' }), matched(4, '0xS2'), failed(5, 'x', 'X')]);
    expect(recordOf(again).common).toMatchObject({
      solver: '0xS2',
      fromChain: 1,
      toChain: 10,
      error: 'x',
      failureReason: 'X',
      removedAt: t(2),
      dedupHorizon: null,
    });
    expect(isOwn(recordOf(again).common)).toBe(true);
    expect(again.apply(matched(2))).toBeNull(); // still no zombies

    // more events than are remembered: the horizon (the two first ones forgotten, the latest at 1 s)
    const long = new ProjectionStore();
    long.applyAll([submitted(0), ...Array.from({ length: MAX_REMEMBERED_EVENTS + 1 }, (_, i) => matched(1 + i, `0xS${i}`))]);
    expect(recordOf(long).common).toMatchObject({ dedupHorizon: 1000, removedAt: null, solver: `0xS${MAX_REMEMBERED_EVENTS}` });
    expect(long.apply(matched(1, '0xS0'))).toBeNull(); // a forgotten one: still a duplicate
    // an own copy is never shared with another record
    long.applyAll([submitted(0, { intentId: OTHER_ID }), matched(65, `0xS${MAX_REMEMBERED_EVENTS}`, { intentId: OTHER_ID })]);
    expect(recordOf(long, OTHER_ID).common).toMatchObject({ dedupHorizon: null, solver: `0xS${MAX_REMEMBERED_EVENTS}` });

    for (const store of [again, long]) {
      const back = restored(store);
      expect(recordOf(back).common).toEqual(recordOf(store).common);
      expect(isOwn(recordOf(back).common)).toBe(true);
      expect(projections(back)).toEqual(projections(store));
      expect(back.exportImage().states).toBeDefined();
    }
    const back = restored(long);
    expect(isOwn(recordOf(back, OTHER_ID).common)).toBe(false);
    expect(back.apply(matched(1, '0xS0'))).toBeNull();
  });

  it('records with the same solver, chains and failure share one object, in the store and after a snapshot', () => {
    const store = new ProjectionStore();
    const A = `0x${'a1'.repeat(32)}`;
    store.applyAll([
      submitted(1),
      matched(2, '0xS'),
      failed(3, 'boom', 'R'),
      submitted(1, { intentId: OTHER_ID }),
      matched(2, '0xS', { intentId: OTHER_ID }),
      failed(3, 'boom', 'R', { intentId: OTHER_ID }),
      submitted(1, { intentId: A, fromChain: 5 }),
      matched(2, '0xS', { intentId: A }),
    ]);
    expect(recordOf(store).common).toBe(recordOf(store, OTHER_ID).common);
    expect(recordOf(store).common).toMatchObject({ solver: '0xS', fromChain: 1, toChain: 10, error: 'boom', failureReason: 'R' });
    expect(recordOf(store, A).common).toMatchObject({ solver: '0xS', fromChain: 5, toChain: 10, error: null, failureReason: null });
    expect(Object.isFrozen(recordOf(store).common)).toBe(true);
    const back = restored(store);
    expect(recordOf(back).common).toBe(recordOf(back, OTHER_ID).common);
    expect(projections(back)).toEqual(projections(store));
    // the restored store shares them on with new records
    back.applyAll([submitted(1, { intentId: `0x${'b2'.repeat(32)}` })]);
    back.applyAll([cancelled(2, 'why', { intentId: `0x${'b2'.repeat(32)}` })]);
    expect(recordOf(back, `0x${'b2'.repeat(32)}`).common).toMatchObject({
      solver: null,
      fromChain: 1,
      toChain: 10,
      error: null,
      failureReason: 'why',
    });
    const fresh = new ProjectionStore();
    fresh.apply(ev('intent.source_lock_requested', 1));
    expect(recordOf(fresh).common).toBe(NO_COMMON);
  });

  it('the version counts on exactly past the small-integer range and refuses to pass MAX_VERSION', () => {
    const store = new ProjectionStore();
    store.applyAll([submitted(1), matched(2)]);
    const r = recordOf(store);
    const bits = r.bits;
    r.state = (2 ** 21 - 1) * VERSION_UNIT + bits;
    store.apply(sourceLocked(3));
    store.apply(completed(4));
    expect(store.get(ID)).toMatchObject({ version: 2 ** 21 + 1, status: 'COMPLETED', htlcState: 'source_withdrawn', submittedSeen: true });
    expect(restored(store).get(ID)).toEqual(store.get(ID));

    r.state = (MAX_VERSION - 1) * VERSION_UNIT + r.bits;
    store.apply(failed(5, 'late', 'LATE')); // (stale after completed: fills in the error)
    const last = store.get(ID)!;
    expect(last).toMatchObject({ version: MAX_VERSION, error: 'late', status: 'COMPLETED' });
    expect(restored(store).get(ID)).toEqual(last);
    expect(() => store.apply(failed(6, 'never', 'NEVER'))).toThrow(RangeError);
    expect(store.get(ID)).toEqual(last);
  });
});
