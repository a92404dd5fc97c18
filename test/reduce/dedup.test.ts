/**
 * The de-duplication memory (src/reduce/dedup.ts): 53-bit keys, at most MAX_REMEMBERED_EVENTS
 * per intent. What a user can see: duplicates are ignored, and past the bound a very old
 * redelivery is recognised by the intent's de-duplication horizon and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { eventKey, MAX_REMEMBERED_EVENTS } from '../../src/reduce/dedup.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { createRng, uuid } from '../support/histories.js';
import { completed, ID, matched, proofVerified, removed, settlement, sourceLocked, submitted, t } from './given.js';

describe('eventKey', () => {
  it('is a non-negative safe integer below 2^53, the same for the same id', () => {
    for (const id of ['', 'a', 'e1', '6f1c2c1e-9c59-4a53-9a3e-8f1f3f6b2a10', 'x'.repeat(128)]) {
      const k = eventKey(id);
      expect(Number.isSafeInteger(k)).toBe(true);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(eventKey(id)).toBe(k);
    }
  });

  it('gives 200k random uuids and 200k sequential ids distinct keys', () => {
    const rng = createRng(1);
    const keys = new Set<number>();
    for (let i = 0; i < 200_000; i++) keys.add(eventKey(uuid(rng)));
    for (let i = 0; i < 200_000; i++) keys.add(eventKey(`evt-${i}`));
    expect(keys.size).toBe(400_000);
  });

  it('tells apart ids that differ in one character or only by order', () => {
    expect(eventKey('ab')).not.toBe(eventKey('ba'));
    expect(eventKey('evt-10')).not.toBe(eventKey('evt-11'));
    expect(eventKey('evt-1')).not.toBe(eventKey('evt-1 '));
  });
});

describe('bounded memory per intent', () => {
  const busy = () => {
    const first = submitted(1);
    const events = [first, matched(2), sourceLocked(3), completed(4)];
    for (let i = 0; i < MAX_REMEMBERED_EVENTS + 5; i++) events.push(settlement(10 + i));
    return { first, events };
  };

  it('remembers event times within 2^26 ms (~18.6 hours) of the first event exactly, a later one as unknown (the greatest time applied)', () => {
    const HOUR = 3600; // seconds
    const store = new ProjectionStore();
    store.applyAll([submitted(0), matched(18 * HOUR), sourceLocked(19 * HOUR), completed(20 * HOUR), settlement(-18 * HOUR)]);
    expect(store.get(ID)?.seenAt).toEqual([t(0), t(18 * HOUR), t(20 * HOUR), t(20 * HOUR), t(-18 * HOUR)]);
  });

  it(`remembers at most ${MAX_REMEMBERED_EVENTS} event keys per intent`, () => {
    const store = new ProjectionStore();
    store.applyAll(busy().events);
    expect(store.get(ID)?.seen.length).toBe(MAX_REMEMBERED_EVENTS);
  });

  it('a recent duplicate is still ignored after the bound is reached', () => {
    const store = new ProjectionStore();
    const { events } = busy();
    store.applyAll(events);
    expect(store.apply(events[events.length - 1]!)).toBeNull();
    expect(store.apply(events[events.length - MAX_REMEMBERED_EVENTS]!)).toBeNull();
  });

  it('a redelivery of a forgotten event changes nothing and emits nothing', () => {
    const store = new ProjectionStore();
    const { first, events } = busy();
    store.applyAll(events);
    const before = store.get(ID)!;
    expect(store.apply(first)).toBeNull();
    expect(store.get(ID)).toBe(before);
  });

  it('a forgotten same-rank event cannot roll a field back (a re-match 70 times, then the first redelivered)', () => {
    const store = new ProjectionStore();
    const rematches = Array.from({ length: MAX_REMEMBERED_EVENTS + 6 }, (_, i) => matched(10 + i, `0xsolver${i}`));
    store.applyAll([submitted(1), ...rematches]);
    const before = store.get(ID)!;
    expect(before.solver).toBe(`0xsolver${MAX_REMEMBERED_EVENTS + 5}`);
    expect(store.apply(rematches[0]!)).toBeNull();
    expect(store.get(ID)?.solver).toBe(before.solver);
    expect(store.get(ID)?.matchedAt).toBe(before.matchedAt);
  });

  it('a new event later than the horizon is still applied after the bound is reached', () => {
    const store = new ProjectionStore();
    const { events } = busy();
    store.applyAll(events);
    const diff = store.apply(settlement(10_000));
    expect(diff?.kind).toBe('updated');
  });

  it('a forgotten proof event cannot move the proof status back either', () => {
    const store = new ProjectionStore();
    const early = proofVerified(2);
    store.applyAll([submitted(1), early]);
    for (let i = 0; i < MAX_REMEMBERED_EVENTS + 1; i++) store.apply(settlement(10 + i));
    store.apply(early);
    expect(store.get(ID)?.proofStatus).toBe('verified');
  });

  it("past the bound, an event that is only a little out of order is still applied (the horizon is the forgotten events' time)", () => {
    const proofs = Array.from({ length: MAX_REMEMBERED_EVENTS + 36 }, (_, i) => settlement(1 + i));
    const lifecycle = [submitted(0), matched(50), sourceLocked(90)];
    const merged = [...lifecycle, ...proofs].sort((a, b) => a.occurredAt - b.occurredAt);
    // every lifecycle event delivered a second late: after proofs newer than it
    const late = [...proofs];
    for (const e of lifecycle) {
      const at = late.findIndex((p) => p.occurredAt > e.occurredAt + 1000);
      late.splice(at < 0 ? late.length : at, 0, e);
    }
    const a = new ProjectionStore();
    a.applyAll(merged);
    const b = new ProjectionStore();
    b.applyAll(late);
    expect(b.get(ID)).toMatchObject({ status: 'EXECUTING', htlcState: 'source_locked' });
    expect(b.get(ID)?.status).toBe(a.get(ID)?.status);
  });

  it('past the bound, a removal at the same instant as the last event still removes the intent', () => {
    const store = new ProjectionStore();
    store.applyAll([submitted(0), ...Array.from({ length: MAX_REMEMBERED_EVENTS + 6 }, () => settlement(100))]);
    expect(store.apply(removed(100))?.kind).toBe('removed');
    expect(store.size).toBe(0);
  });
});
