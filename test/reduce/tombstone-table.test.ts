/**
 * The tombstone table (src/reduce/tombstones.ts, on src/reduce/id-table.ts) is an ordered hash table over typed arrays: it
 * must behave exactly as a `Map` kept in insertion order (the pruning queue), across index growth,
 * log chunks dropped from the front, compaction and non-canonical ids. Tiny chunks and a tiny
 * initial index make every one of those happen within a few dozen operations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packId } from '../../src/reduce/pack.js';
import { Tombstones } from '../../src/reduce/tombstones.js';

/** a small pool, so keys repeat: canonical ids (some differing in one byte only), non-canonical ones */
const ids = [
  ...Array.from({ length: 12 }, (_, i) => `0x${i.toString(16).padStart(2, '0').repeat(32)}`),
  `0x${'00'.repeat(31)}01`,
  `0x${'00'.repeat(32)}`,
  'not-hex',
  `0x${'AB'.repeat(32)}`,
  'x'.repeat(31),
  '',
  packId(`0x${'cd'.repeat(32)}`),
];

type Op =
  | { kind: 'set'; key: number; at: number }
  | { kind: 'delete'; key: number }
  | { kind: 'get'; key: number }
  | { kind: 'prune'; count: number }
  | { kind: 'move'; key: number; at: number };

const key = fc.nat({ max: ids.length - 1 });
const at = fc.oneof(fc.integer({ min: -1e15, max: 1e15 }), fc.double({ noNaN: true }));
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('set' as const), key, at }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), key }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('get' as const), key }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('prune' as const), count: fc.nat({ max: 6 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('move' as const), key, at }), weight: 1 },
);

describe('tombstone table', () => {
  it('behaves as an insertion-ordered Map over random operations', () => {
    fc.assert(
      fc.property(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.array(op, { maxLength: 300 }), (chunkBits, indexBits, ops) => {
        const table = new Tombstones(chunkBits, indexBits);
        const model = new Map<string, number>();
        for (const o of ops) {
          switch (o.kind) {
            case 'set':
              table.set(ids[o.key]!, o.at);
              model.set(ids[o.key]!, o.at);
              break;
            case 'move':
              // what the store does for a second removal: delete, then add as the newest
              expect(table.delete(ids[o.key]!)).toBe(model.delete(ids[o.key]!));
              table.set(ids[o.key]!, o.at);
              model.set(ids[o.key]!, o.at);
              break;
            case 'delete':
              expect(table.delete(ids[o.key]!)).toBe(model.delete(ids[o.key]!));
              break;
            case 'get':
              expect(table.get(ids[o.key]!)).toBe(model.get(ids[o.key]!));
              break;
            case 'prune': {
              // the store's pruning: delete the oldest while iterating
              let n = 0;
              for (const [k] of table.entries()) {
                if (n++ >= o.count) break;
                table.delete(k);
              }
              n = 0;
              for (const k of [...model.keys()]) {
                if (n++ >= o.count) break;
                model.delete(k);
              }
              break;
            }
          }
          expect(table.size).toBe(model.size);
        }
        expect([...table.entries()]).toEqual([...model.entries()]);
        for (const k of ids) expect(table.get(k)).toBe(model.get(k));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps many tombstones and drops them oldest first', () => {
    const table = new Tombstones(4, 2);
    const key = (i: number) => `0x${i.toString(16).padStart(64, '0')}`;
    for (let i = 0; i < 5000; i++) table.set(key(i), i);
    expect(table.size).toBe(5000);
    for (let i = 0; i < 5000; i += 7) expect(table.get(key(i))).toBe(i);
    expect(table.get(key(5000))).toBeUndefined();
    let n = 0;
    for (const [k, v] of table.entries()) {
      expect(k).toBe(key(v));
      if (v < 4000) table.delete(k);
      n++;
    }
    expect(n).toBe(5000);
    expect(table.size).toBe(1000);
    expect([...table.entries()].map(([, v]) => v)).toEqual(Array.from({ length: 1000 }, (_, i) => 4000 + i));
  });
});
