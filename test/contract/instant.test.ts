/**
 * `parseInstant` (src/contract/instant.ts), the decoder's reading of `occurredAt`, is
 * `Date.parse`: the same number for every instant `toISOString` writes, and for every string of
 * that shape with any digits (invalid dates included: NaN like `Date.parse`), and for every other
 * form (offsets, other fractions), which it hands to `Date.parse`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../src/contract/instant.js';

const FIRST = Date.parse('0000-01-01T00:00:00.000Z');
const LAST = Date.parse('9999-12-31T23:59:59.999Z');

const same = (s: string): void => {
  expect(Object.is(parseInstant(s), Date.parse(s)), s).toBe(true);
};

describe('parseInstant reads an ISO instant as Date.parse does', () => {
  it('every instant toISOString writes (years 0000-9999) gives its own epoch milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: FIRST, max: LAST }), (ms) => {
        const s = new Date(ms).toISOString();
        expect(parseInstant(s)).toBe(ms);
        same(s);
      }),
      { numRuns: 20_000 },
    );
  });

  it('edges: leap days, ends of months and years, the epoch, year 0', () => {
    for (const s of [
      '1970-01-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '0000-01-01T00:00:00.000Z',
      '0000-02-29T12:00:00.000Z',
      '1900-02-28T23:59:59.999Z',
      '1900-02-29T00:00:00.000Z',
      '2000-02-29T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
      '2026-02-29T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59.999Z',
      '2026-11-27T24:00:00.000Z',
      '2026-11-27T23:60:00.000Z',
      '2026-11-27T23:59:60.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-00-01T00:00:00.000Z',
      '2026-01-00T00:00:00.000Z',
    ]) {
      same(s);
    }
  });

  it('any digits in the common shape, and other shapes, give what Date.parse gives', () => {
    const d = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
    const common = fc
      .tuple(d(4), d(2), d(2), d(2), d(2), d(2), d(3))
      .map(([y, mo, da, h, mi, s, ms]) => `${y}-${mo}-${da}T${h}:${mi}:${s}.${ms}Z`);
    const other = fc
      .tuple(
        fc.integer({ min: FIRST, max: LAST }),
        fc.constantFrom('+01:00', '-05:30', '+00:00', 'Z'),
        fc.constantFrom('', '.1', '.12', '.123456'),
      )
      .map(([ms, zone, frac]) => `${new Date(ms).toISOString().slice(0, 19)}${frac}${zone}`);
    fc.assert(
      fc.property(fc.oneof(common, other, fc.string({ maxLength: 30 })), (s) => same(s)),
      { numRuns: 20_000 },
    );
  });
});
