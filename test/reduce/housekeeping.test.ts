/**
 * Untrusted time (docs/reducer.md "Untrusted time"): the fold goes by occurredAt, but tombstone
 * pruning and the de-duplication horizon go by the housekeeping clock, occurredAt clamped to the
 * Kafka record timestamp + maxClockSkewMs. A record dated year 9999 on each topic must not make
 * the store forget removals, let a removed intent's redelivery back in, stop pruning, or make an
 * intent refuse its later events.
 */
import { describe, expect, it } from 'vitest';
import { MAX_REMEMBERED_EVENTS } from '../../src/reduce/dedup.js';
import { housekeepingTime } from '../../src/reduce/housekeeping.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { ID, matched, OTHER_ID, proofRequested, removed, submitted, t, T0 } from './given.js';

const HOUR = 3600; // given.ts times are seconds after T0
const SKEW_MS = 60_000;
/** year 9999, in given.ts seconds */
const FAR = (Date.parse('9999-12-31T00:00:00.000Z') - T0) / 1000;
const FUTURE_ID = `0x${'ef'.repeat(32)}`;
const store = () => new ProjectionStore({ tombstoneRetentionMs: 2 * HOUR * 1000, maxClockSkewMs: SKEW_MS });

/** Applies [event, record timestamp] pairs. */
function applyAt(s: ProjectionStore, records: readonly [Parameters<ProjectionStore['apply']>[0], number][]): void {
  for (const [e, ts] of records) s.apply(e, ts);
}

/** both topics reach second `sec` by events of an unrelated intent, written at that time */
const both = (sec: number): [Parameters<ProjectionStore['apply']>[0], number][] => [
  [matched(sec, 'x', { intentId: OTHER_ID, eventId: `l-${sec}` }), t(sec)],
  [proofRequested(sec, { intentId: OTHER_ID, eventId: `p-${sec}` }), t(sec)],
];

describe('housekeepingTime', () => {
  it('is occurredAt, at most the record timestamp + the skew; without a record timestamp, occurredAt', () => {
    expect(housekeepingTime(1000, 5000, 100)).toBe(1000);
    expect(housekeepingTime(9000, 5000, 100)).toBe(5100);
    expect(housekeepingTime(9000, undefined, 100)).toBe(9000);
    expect(housekeepingTime(9000, -1, 100)).toBe(9000); // Kafka's "no timestamp"
  });
});

describe('far-future records (year 9999) on both topics', () => {
  it('removals stay remembered and a redelivery of a removed intent stays refused', () => {
    const s = store();
    applyAt(s, [
      [submitted(1), t(1)],
      [removed(10), t(10)],
      [submitted(FAR, { intentId: FUTURE_ID }), t(20)],
      [proofRequested(FAR, { intentId: FUTURE_ID }), t(20)],
      ...both(30),
    ]);
    s.pruneTombstones();
    expect(s.tombstones).toBe(1);
    // the redelivered submission (same eventId and time as before the removal) changes nothing
    expect(s.apply(submitted(1), t(40))).toBeNull();
    expect(s.get(ID)).toBeUndefined();
    // the fold itself still goes by occurredAt
    expect(s.get(FUTURE_ID)?.updatedAt).toBe(t(FAR));
  });

  it('a year-9999 removal at the head of the tombstone queue does not stop pruning', () => {
    const s = store();
    applyAt(s, [[removed(FAR, { intentId: FUTURE_ID }), t(0)], [submitted(1), t(1)], [removed(10), t(10)], ...both(HOUR)]);
    s.pruneTombstones();
    expect(s.tombstones).toBe(2); // within the window: both kept
    applyAt(s, both(5 * HOUR));
    s.pruneTombstones();
    expect(s.tombstones).toBe(0); // past the window: both dropped, the far-future one too
  });

  it('an intent that forgot a year-9999 event still applies its later events', () => {
    const s = store();
    s.apply(submitted(1), t(1));
    s.apply(matched(FAR, 'future', { eventId: 'far' }), t(2));
    for (let i = 0; i < MAX_REMEMBERED_EVENTS; i++) s.apply(matched(3 + i, `s${i}`, { eventId: `m-${i}` }), t(3 + i));
    // the far-future event is forgotten now; a new event (not a redelivery) is applied
    const before = s.get(ID)!.version;
    expect(s.apply(matched(HOUR, 'late', { eventId: 'late' }), t(HOUR))).not.toBeNull();
    expect(s.get(ID)!.version).toBe(before + 1);
    // replaying the far-future record itself (same record timestamp) is still a redelivery
    expect(s.apply(matched(FAR, 'future', { eventId: 'far' }), t(2))).toBeNull();
  });
});
