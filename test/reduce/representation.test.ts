/**
 * The store keeps intents in a compact form (src/reduce/record.ts: packed hex strings, times
 * relative to the first event, one de-duplication string). What a user sees must not depend on
 * it: every value comes back exactly as it was given, times far apart stay exact, a projection
 * read before an event keeps its values, and the de-duplication memory works past its 32-bit
 * time range.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIntent } from '../../src/fanout/format.js';
import { MAX_REMEMBERED_EVENTS } from '../../src/reduce/dedup.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { completed, destinationLocked, ev, ID, matched, settlement, sourceLocked, submitted, t } from './given.js';

const DAY = 86_400; // seconds (given.ts times are seconds after T0)

/** strings a producer may send: hex of either case and any length, near-hex, anything */
const valueArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 80 }),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFx'), minLength: 1, maxLength: 70 }).map((s) => `0x${s}`),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => `0x${Buffer.from(b).toString('hex')}`),
  fc.constantFrom('0x', '0x0', '\u0000', '\u0001ab', '\u0100', 'ω0xab'),
);

describe('compact representation', () => {
  it('gives back every hash, solver, user, proof and verifier exactly as received', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { minLength: 8, maxLength: 8 }), ([a, b, c, d, solver, user, proof, verifier]) => {
        const store = new ProjectionStore();
        store.applyAll([
          ev('intent.submitted', 1, { fromChain: 1, toChain: 2, amount: '5', user: user!.slice(0, 256) }),
          matched(2, solver!),
          sourceLocked(3, a!),
          destinationLocked(4, b!),
          ev('intent.destination_withdrawn', 5, { txHash: c! }),
          completed(6, d!),
          settlement(7, proof!, verifier!),
        ]);
        const p = store.get(ID)!;
        expect(p.txHashes).toEqual({ sourceLock: a, destinationLock: b, destinationWithdraw: c, sourceWithdraw: d });
        expect(Object.keys(formatIntent(p, 0).txHashes)).toEqual([
          'sourceLock',
          'destinationLock',
          'destinationWithdraw',
          'sourceWithdraw',
        ]);
        expect(p.solver).toBe(solver);
        expect(p.user).toBe(user!.slice(0, 256));
        expect(p.settlementProof).toEqual({ proof, verifier, generatedAt: t(7) });
      }),
      { numRuns: 200 },
    );
  });

  it('a replaced hash keeps its place among the others', () => {
    const store = new ProjectionStore();
    // the source lock is stale after the destination lock (fills in); a second destination lock is same-rank (replaces)
    store.applyAll([submitted(1), matched(2), destinationLocked(3, '0xbb'), sourceLocked(4, '0xaa'), destinationLocked(5, '0xDD')]);
    expect(Object.entries(store.get(ID)!.txHashes)).toEqual([
      ['destinationLock', '0xDD'],
      ['sourceLock', '0xaa'],
    ]);
  });

  it('keeps times exact for an intent whose events are years apart, in either order', () => {
    const late = 3 * 365 * DAY;
    for (const events of [
      [submitted(late), matched(0), completed(2 * late)],
      [completed(2 * late), matched(0), submitted(late)],
    ]) {
      const store = new ProjectionStore();
      store.applyAll(events);
      expect(store.get(ID)).toMatchObject({ createdAt: t(late), matchedAt: t(0), completedAt: t(2 * late), updatedAt: t(2 * late) });
    }
  });

  it('a projection read before an event keeps its values; read again unchanged, it is the same object', () => {
    const store = new ProjectionStore();
    store.apply(submitted(1));
    const before = store.get(ID)!;
    expect(store.get(ID)).toBe(before);
    store.apply(matched(2, '0xS'));
    expect(before).toMatchObject({ status: 'SUBMITTED', solver: null, version: 1 });
    expect(store.get(ID)).toMatchObject({ status: 'MATCHED', solver: '0xS', version: 2 });
  });

  it('past the bound, with events spread over more than 24.8 days, a redelivery of a forgotten event still changes nothing', () => {
    const store = new ProjectionStore();
    const first = matched(1, '0xfirst');
    const rematches = Array.from({ length: MAX_REMEMBERED_EVENTS + 5 }, (_, i) => matched(30 * DAY + i, `0xsolver${i}`));
    store.applyAll([submitted(0), first, ...rematches]);
    const before = store.get(ID)!;
    expect(store.apply(first)).toBeNull();
    expect(store.apply(rematches[0]!)).toBeNull();
    expect(store.get(ID)).toBe(before);
    expect(store.apply(matched(40 * DAY, '0xnew'))?.kind).toBe('updated');
  });
});
