/**
 * The store-wide arena of de-duplication entries (src/reduce/dedup-arena.ts): blocks grow in
 * size classes up to MAX_REMEMBERED_EVENTS entries, freed blocks (growth, removal) are reused by
 * the next block of their class, compaction moves live blocks together. Checked against a model
 * (plain arrays of entries per record) over random operations with tiny chunks, so that chunk
 * tails, free lists and compaction all happen; and through the store: intents removed and
 * re-created keep exactly their own entries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_REMEMBERED_EVENTS, UNKNOWN_TIME } from '../../src/reduce/dedup.js';
import { countOf, DedupArena, EMPTY } from '../../src/reduce/dedup-arena.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { ID, removed, settlement, submitted, t } from './given.js';

const T0 = 1_700_000_000_000;
const keyArb = fc.oneof(
  fc.constantFrom(0, 1, 2 ** 53 - 1, 2 ** 52, 2 ** 32, 2 ** 32 - 1),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const relArb = fc.oneof(fc.integer({ min: -(2 ** 26) + 1, max: 2 ** 26 - 1 }), fc.constantFrom(2 ** 26, -(2 ** 26), 1e12, 0.5));
const known = (rel: number): number => (Number.isInteger(rel) && rel > UNKNOWN_TIME && rel < -UNKNOWN_TIME ? rel : UNKNOWN_TIME);

/** what holds a handle (an IntentRecord) */
interface Holder {
  seen: number;
}
/** A record as the model sees it: its entries, oldest first. */
interface Entry {
  readonly key: number;
  readonly rel: number;
}
const slotsOf = (n: number): number => n;

/** Whether the arena gives back exactly the model's entries for `h` (fast: checked after every operation). */
function holds(arena: DedupArena, h: Holder, model: readonly Entry[]): boolean {
  if (countOf(h.seen) !== model.length) return false;
  const keys = arena.keys(h.seen);
  const times = arena.times(h.seen, T0, -1);
  return model.every((e, i) => keys[i] === e.key && times[i] === (known(e.rel) === UNKNOWN_TIME ? -1 : T0 + e.rel));
}

function expectHolds(arena: DedupArena, h: Holder, model: readonly Entry[]): void {
  expect(countOf(h.seen)).toBe(model.length);
  expect(arena.keys(h.seen)).toEqual(model.map((e) => e.key));
  const unknownAs = -1;
  expect(arena.times(h.seen, T0, unknownAs)).toEqual(model.map((e) => (known(e.rel) === UNKNOWN_TIME ? unknownAs : T0 + e.rel)));
  for (const e of model) expect(arena.has(h.seen, e.key)).toBe(true);
}

describe('DedupArena', () => {
  it('grows a block up to MAX_REMEMBERED_EVENTS entries, then drops the oldest; no slack', () => {
    const arena = new DedupArena(6);
    const r: Holder = { seen: EMPTY };
    const model: Entry[] = [];
    for (let i = 0; i < MAX_REMEMBERED_EVENTS + 10; i++) {
      const e = { key: 2 ** 52 + i * 7919, rel: i * 1000 };
      r.seen = arena.add(r.seen, e.key, e.rel);
      model.push(e);
      if (model.length > MAX_REMEMBERED_EVENTS) model.shift();
      expectHolds(arena, r, model);
      expect(arena.usage.usedSlots).toBe(slotsOf(model.length));
    }
    expect(arena.has(r.seen, 2 ** 52)).toBe(false); // the first one, forgotten
    expect(arena.timeAt(r.seen, 0)).toBe(10 * 1000);
  });

  it("reuses a grown block's old space for the next record growing through the same class", () => {
    const arena = new DedupArena(14); // one chunk: no chunk tails
    const a: Holder = { seen: EMPTY };
    const b: Holder = { seen: EMPTY };
    for (let i = 0; i < MAX_REMEMBERED_EVENTS; i++) a.seen = arena.add(a.seen, i, i);
    const classes = MAX_REMEMBERED_EVENTS;
    // a's old blocks, one of each class below the largest
    const left = (classes * (classes - 1)) / 2;
    expect(arena.usage).toMatchObject({ usedSlots: classes, freeSlots: left });
    for (let i = 0; i < MAX_REMEMBERED_EVENTS; i++) b.seen = arena.add(b.seen, 1000 + i, i);
    // b took a's old blocks and left its own: still one of each class free, not two
    expect(arena.usage).toMatchObject({ usedSlots: 2 * classes, freeSlots: left, chunks: 1 });
    expectHolds(
      arena,
      a,
      Array.from({ length: MAX_REMEMBERED_EVENTS }, (_, i) => ({ key: i, rel: i })),
    );
  });

  it('gives a removed record’s space to a record created after it', () => {
    const arena = new DedupArena(6);
    const records = Array.from({ length: 200 }, (): Holder => ({ seen: EMPTY }));
    records.forEach((r, j) => {
      for (let i = 0; i < 11; i++) r.seen = arena.add(r.seen, j * 100 + i, i);
    });
    const chunks = arena.usage.chunks;
    const removed = records.slice(0, 100);
    for (const r of removed) arena.release(r.seen);
    const reborn = Array.from({ length: 100 }, (): Holder => ({ seen: EMPTY }));
    reborn.forEach((r, j) => {
      for (let i = 0; i < 11; i++) r.seen = arena.add(r.seen, 1e6 + j * 100 + i, -i);
    });
    expect(arena.usage.chunks).toBe(chunks);
    for (const [j, r] of records.slice(100).entries()) {
      expectHolds(
        arena,
        r,
        Array.from({ length: 11 }, (_, i) => ({ key: (j + 100) * 100 + i, rel: i })),
      );
    }
    for (const [j, r] of reborn.entries()) {
      expectHolds(
        arena,
        r,
        Array.from({ length: 11 }, (_, i) => ({ key: 1e6 + j * 100 + i, rel: -i })),
      );
    }
  });

  it('behaves as arrays of entries per record over random adds, removals, re-creations and compactions', () => {
    type Op = { kind: 'add'; r: number; key: number; rel: number } | { kind: 'remove'; r: number } | { kind: 'compact' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 20, arbitrary: fc.record({ kind: fc.constant('add' as const), r: fc.nat(11), key: keyArb, rel: relArb }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), r: fc.nat(11) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
    );
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 800, size: 'max' }), fc.constantFrom(6, 7), (ops, chunkBits) => {
        const arena = new DedupArena(chunkBits);
        const records = Array.from({ length: 12 }, (): Holder => ({ seen: EMPTY }));
        const models = records.map((): Entry[] => []);
        for (const op of ops) {
          if (op.kind === 'add') {
            records[op.r]!.seen = arena.add(records[op.r]!.seen, op.key, op.rel);
            const m = models[op.r]!;
            m.push({ key: op.key, rel: op.rel });
            if (m.length > MAX_REMEMBERED_EVENTS) m.shift();
          } else if (op.kind === 'remove') {
            arena.release(records[op.r]!.seen);
            records[op.r] = { seen: EMPTY }; // the intent's next life
            models[op.r] = [];
          } else
            arena.compact((move) => {
              for (const r of records) r.seen = move(r.seen);
            });
          const used = models.reduce((s, m) => s + slotsOf(m.length), 0);
          expect(arena.usage.usedSlots).toBe(used);
          // every record, after every operation: a block handed out twice shows at once
          records.forEach((r, i) => {
            if (!holds(arena, r, models[i]!)) expectHolds(arena, r, models[i]!);
          });
        }
        for (const [i, r] of records.entries()) expectHolds(arena, r, models[i]!);
        // after compaction only the live blocks remain, and the chunks' tails too short for the next block
        arena.compact((move) => {
          for (const r of records) r.seen = move(r.seen);
        });
        const { freeSlots, chunks } = arena.usage;
        expect(freeSlots).toBeLessThan(Math.max(1, chunks) * MAX_REMEMBERED_EVENTS);
        for (const [i, r] of records.entries()) expectHolds(arena, r, models[i]!);
      }),
      { numRuns: 100 },
    );
  });
});

describe('the store and its arena', () => {
  const id = (i: number): string => `0x${i.toString(16).padStart(64, '0')}`;
  const lifeOf = (intentId: string, at: number, tag: string) =>
    Array.from({ length: 12 }, (_, k) => settlement(at + k, '0xPROOF', undefined, { intentId, eventId: `${tag}-${intentId}-${k}` }));

  it('removing most intents gives their entries back (compaction); the rest and the new lives keep exactly their own', () => {
    const store = new ProjectionStore();
    const n = 3000;
    for (let i = 0; i < n; i++) store.applyAll(lifeOf(id(i), 10, 'a'));
    const full = store.dedupUsage.bytes;
    for (let i = 0; i < n; i++) if (i % 6 !== 0) store.apply(removed(100, { intentId: id(i), eventId: `rm-${i}` }));
    expect(store.dedupUsage.bytes).toBeLessThan(full / 2);
    // a new life of every removed intent, later than its removal
    for (let i = 0; i < n; i++) if (i % 6 !== 0) store.applyAll(lifeOf(id(i), 200, 'b'));
    const reference = new ProjectionStore();
    for (let i = 0; i < n; i++) reference.applyAll(lifeOf(id(i), i % 6 === 0 ? 10 : 200, i % 6 === 0 ? 'a' : 'b'));
    for (let i = 0; i < n; i++) {
      const p = store.get(id(i))!;
      const q = reference.get(id(i))!;
      expect([p.seen, p.seenAt]).toEqual([q.seen, q.seenAt]);
      // redeliveries of the current life: duplicates; of the removed life: zombies
      expect(store.apply(lifeOf(id(i), i % 6 === 0 ? 10 : 200, i % 6 === 0 ? 'a' : 'b')[5]!)).toBeNull();
      if (i % 6 !== 0) expect(store.apply(lifeOf(id(i), 10, 'a')[5]!)).toBeNull();
    }
  });

  it("a removal's diff read after the intent's space is reused still shows the removed projection's entries", () => {
    const store = new ProjectionStore();
    store.applyAll([submitted(0), settlement(1), settlement(2)]);
    const before = store.get(ID)!;
    const d = store.apply(removed(3, { eventId: 'rm' }));
    if (d?.kind !== 'removed') throw new Error('not removed');
    for (let i = 0; i < 50; i++) store.applyAll(lifeOf(id(i), 10, 'c'));
    expect(d.previous.seen).toEqual(before.seen);
    expect(d.previous.seenAt).toEqual([t(0), t(1), t(2)]);
  });
});
