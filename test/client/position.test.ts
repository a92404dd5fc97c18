/**
 * The client reads positions the server writes (src/fanout/position.ts) with its own browser-safe
 * decoder (src/client/position.ts): for any cuts the server encodes, `includes` says whether no
 * partition of one is beyond the other, and `compareEmissions` orders the emissions of one node's
 * growing offset vector as it made them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareEmissions, includes } from '../../src/client/position.js';
import { encodePosition, topicsHash } from '../../src/fanout/position.js';

const HASH = topicsHash('a.lifecycle', 'a.proofs');
const offsets = fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 12 });

describe('client positions', () => {
  it('includes: no partition of the emission beyond the list; other topics never', () => {
    fc.assert(
      fc.property(offsets, offsets, (a, b) => {
        const list = encodePosition(HASH, { offsets: a, partial: null });
        const emission = encodePosition(HASH, { offsets: b, partial: null });
        const want = b.every((o, s) => o <= (a[s] ?? 0));
        expect(includes(list, emission)).toBe(want);
        expect(includes(encodePosition(topicsHash('x', 'y'), { offsets: a, partial: null }), emission)).toBe(false);
      }),
    );
  });

  it("compareEmissions orders a node's emissions as it made them", () => {
    // a node's history: each record moves one slot; it makes 1-4 emissions, all but the last partial
    const history = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 })), {
      minLength: 1,
      maxLength: 40,
    });
    fc.assert(
      fc.property(history, fc.integer(), (records, seed) => {
        const vector: number[] = [];
        const made: string[] = [];
        for (const [slot, step, emissions] of records) {
          while (vector.length <= slot) vector.push(0);
          vector[slot]! += step;
          for (let k = 0; k < emissions; k++) {
            made.push(encodePosition(HASH, { offsets: vector, partial: k < emissions - 1 ? { slot, index: k } : null }));
          }
        }
        const shuffled = made
          .map((p, i) => ({ p, r: Math.sin(seed + i) }))
          .sort((x, y) => x.r - y.r)
          .map((x) => x.p);
        expect(shuffled.sort(compareEmissions)).toEqual(made);
      }),
    );
  });
});
