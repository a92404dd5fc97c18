/**
 * Where the de-duplication entries (dedup.ts) of every live intent of a store live: one
 * store-wide arena of 16-bit units in fixed-size chunks, a block of entries per intent, the
 * record holding a small integer (`IntentRecord.seen`, a *handle*) instead of a string. Appending
 * an entry writes 5 units in place: no string per event that the record keeps (each such string
 * survived the young generation's scavenges and was copied, the largest single cost of the fold,
 * docs/reducer.md "Speed of the fold").
 *
 * - An entry is 5 units (10 bytes): the 53-bit key's bits 0-15, 16-31, 32-47, then key bits
 *   48-52 above the time's bits 16-26, then the time's bits 0-15 (dedup.ts).
 * - Space is counted in *slots* of one entry. An intent with n entries has a block of exactly n
 *   slots (its class): no slack. The handle is `slot × 64 + (n - 1)` (slot: the block's first,
 *   counted over all chunks), or EMPTY; it stays a small integer below 2^31 for up to 2^25 slots
 *   (33 M entries, beyond that it is a heap number and still exact).
 * - An added entry moves the block to one of the next class (a copy of at most 64 entries) and
 *   frees the old one; a removed intent's block is freed (`release`; the store leaves the
 *   record a copy of its entries first, record.ts `detachSeen`, for a diff or view read later).
 *   Freed blocks go onto a free list of their class (LIFO, the link in the block's first two
 *   units) and are taken first by the next block of that class. A chunk's tail too short for a
 *   block becomes a free block of its own length.
 * - At MAX_REMEMBERED_EVENTS entries the oldest is dropped (the block shifts by one entry).
 * - Free space is never more than the space in use (and one chunk): when it is, the store moves
 *   every live block into fresh chunks in its own order (`compact`, amortised O(1) per freed
 *   slot), so removing intents gives their memory back.
 */
import { MAX_REMEMBERED_EVENTS, UNKNOWN_TIME } from './dedup.js';

/** the handle of a record without entries */
export const EMPTY = -1;
/** the handle of a record that left the store: its entries are a copy (record.ts `detachSeen`) */
export const DETACHED = -2;
/** units per entry */
export const UNITS = 5;
const SLOT_UNITS = UNITS;
/** the largest class: MAX_REMEMBERED_EVENTS entries */
const MAX_CLASS = MAX_REMEMBERED_EVENTS;
/** handle = slot × COUNT + (entries - 1) */
const COUNT = 64;
/** 2^14 slots: 160 KiB chunks */
export const DEFAULT_CHUNK_BITS = 14;
const TIME_BITS = 27;

/** the units of one entry: `key` (53 bits) and `rel` (UNKNOWN_TIME when it does not fit 27 bits) */
function writeEntry(u: Uint16Array, o: number, key: number, rel: number): void {
  const lo = key >>> 0;
  const hi = (key - lo) / 0x100000000;
  const t = rel === (rel | 0) && rel > UNKNOWN_TIME && rel < -UNKNOWN_TIME ? rel : UNKNOWN_TIME;
  u[o] = lo & 0xffff;
  u[o + 1] = lo >>> 16;
  u[o + 2] = hi & 0xffff;
  u[o + 3] = ((hi >>> 16) << 11) | ((t >>> 16) & 0x7ff);
  u[o + 4] = t & 0xffff;
}

const keyAt = (u: Uint16Array, o: number): number =>
  (u[o + 2]! | ((u[o + 3]! >>> 11) << 16)) * 0x100000000 + ((u[o]! | (u[o + 1]! << 16)) >>> 0);
// the 27-bit time, sign-extended
const timeAt = (u: Uint16Array, o: number): number => ((((u[o + 3]! & 0x7ff) << 16) | u[o + 4]!) << (32 - TIME_BITS)) >> (32 - TIME_BITS);

/** Copies `n` units of `from` at `o` to `to` at `p` (a loop: blocks are small, no view per copy). */
function copyUnits(from: Uint16Array, o: number, to: Uint16Array, p: number, n: number): void {
  for (let i = 0; i < n; i++) to[p + i] = from[o + i]!;
}

/** entries of a handle (0 for EMPTY) */
export const countOf = (h: number): number => (h < 0 ? 0 : (h % COUNT) + 1);
const slotOf = (h: number): number => (h - (h % COUNT)) / COUNT;

/** The keys of the `n` entries in `u` from unit `o` on. */
export function keysOf(u: Uint16Array, o: number, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = keyAt(u, o + i * UNITS);
  return out;
}

/** The absolute times (t0 + relative) of the `n` entries in `u` from unit `o` on, an unknown one as `unknownAs`. */
export function timesOf(u: Uint16Array, o: number, n: number, t0: number, unknownAs: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const rel = timeAt(u, o + i * UNITS);
    out[i] = rel === UNKNOWN_TIME ? unknownAs : t0 + rel;
  }
  return out;
}

export class DedupArena {
  private chunks: Uint16Array[] = [];
  /** first free slot of the last chunk (bump allocation) */
  private top: number;
  /** per class: the first free block's slot + 1, 0 = none */
  private freeHead = new Float64Array(MAX_CLASS + 1);
  private usedSlots = 0;
  private freeSlots = 0;
  private readonly chunkBits: number;
  private readonly chunkSlots: number;
  private readonly mask: number;

  constructor(chunkBits = DEFAULT_CHUNK_BITS) {
    if (!Number.isInteger(chunkBits) || chunkBits < 6 || chunkBits > 24) throw new RangeError(`chunkBits ${chunkBits} (6-24)`);
    this.chunkBits = chunkBits;
    this.chunkSlots = 2 ** chunkBits;
    this.mask = this.chunkSlots - 1;
    this.top = this.chunkSlots; // no chunk yet
  }

  /** Slots in live blocks, slots on the free lists, and units allocated (for tests and stats). */
  get usage(): { readonly usedSlots: number; readonly freeSlots: number; readonly chunks: number; readonly bytes: number } {
    return {
      usedSlots: this.usedSlots,
      freeSlots: this.freeSlots,
      chunks: this.chunks.length,
      bytes: this.chunks.length * this.chunkSlots * SLOT_UNITS * 2,
    };
  }

  /** Whether the free space exceeds the space in use by more than a chunk: time to `compact`. */
  get wasteful(): boolean {
    return this.freeSlots > this.usedSlots + this.chunkSlots;
  }

  private unitsOf(slot: number): Uint16Array {
    return this.chunks[slot >>> this.chunkBits]!;
  }
  private offsetOf(slot: number): number {
    return (slot & this.mask) * SLOT_UNITS;
  }

  /** A block of `c` slots (its first slot). */
  private alloc(c: number): number {
    const head = this.freeHead[c]!;
    this.usedSlots += c;
    if (head !== 0) {
      const slot = head - 1;
      const u = this.unitsOf(slot);
      const o = this.offsetOf(slot);
      this.freeHead[c] = u[o]! + u[o + 1]! * 0x10000;
      this.freeSlots -= c;
      return slot;
    }
    if (this.top + c > this.chunkSlots) {
      const rest = this.chunkSlots - this.top;
      if (rest > 0) {
        // the tail of the last chunk: a free block of its own length
        this.usedSlots += rest;
        this.push((this.chunks.length - 1) * this.chunkSlots + this.top, rest);
      }
      this.chunks.push(new Uint16Array(this.chunkSlots * SLOT_UNITS));
      this.top = 0;
    }
    const slot = (this.chunks.length - 1) * this.chunkSlots + this.top;
    this.top += c;
    return slot;
  }

  /** Puts the block of `c` slots at `slot` onto its free list. */
  private push(slot: number, c: number): void {
    const u = this.unitsOf(slot);
    const o = this.offsetOf(slot);
    const next = this.freeHead[c]!;
    u[o] = next % 0x10000;
    u[o + 1] = Math.floor(next / 0x10000);
    this.freeHead[c] = slot + 1;
    this.usedSlots -= c;
    this.freeSlots += c;
  }

  /** The handle after remembering (`key`, `rel`) in the entries of `h`; the oldest is dropped at MAX_REMEMBERED_EVENTS. */
  add(h: number, key: number, rel: number): number {
    if (h < 0) {
      const slot = this.alloc(1);
      writeEntry(this.unitsOf(slot), this.offsetOf(slot), key, rel);
      return slot * COUNT;
    }
    const n = (h % COUNT) + 1;
    const slot = (h - n + 1) / COUNT;
    const u = this.unitsOf(slot);
    const o = this.offsetOf(slot);
    if (n === MAX_REMEMBERED_EVENTS) {
      u.copyWithin(o, o + UNITS, o + n * UNITS);
      writeEntry(u, o + (n - 1) * UNITS, key, rel);
      return h;
    }
    const to = this.alloc(n + 1);
    const v = this.unitsOf(to);
    const p = this.offsetOf(to);
    copyUnits(u, o, v, p, n * UNITS);
    writeEntry(v, p + n * UNITS, key, rel);
    this.push(slot, n);
    return to * COUNT + n;
  }

  /** Frees the block of `h` (a record that leaves the store, see record.ts `detachSeen`) for reuse. */
  release(h: number): void {
    if (h >= 0) this.push(slotOf(h), (h % COUNT) + 1);
  }

  /** Whether the entries of `h` hold `key`. */
  has(h: number, key: number): boolean {
    if (h < 0) return false;
    const n = (h % COUNT) + 1;
    const slot = (h - n + 1) / COUNT;
    const u = this.unitsOf(slot);
    const o = this.offsetOf(slot);
    const lo = key >>> 0;
    const hi = (key - lo) / 0x100000000;
    const a = lo & 0xffff;
    const b = lo >>> 16;
    const c = hi & 0xffff;
    const d = hi >>> 16;
    for (let i = o, end = o + n * UNITS; i < end; i += UNITS) {
      if (u[i] === a && u[i + 1] === b && u[i + 2] === c && u[i + 3]! >>> 11 === d) return true;
    }
    return false;
  }

  /** The relative time of entry `i` of `h` (UNKNOWN_TIME when unknown). */
  timeAt(h: number, i: number): number {
    const slot = slotOf(h);
    return timeAt(this.unitsOf(slot), this.offsetOf(slot) + i * UNITS);
  }

  /** The keys of the entries of `h`, oldest first. */
  keys(h: number): number[] {
    if (h < 0) return [];
    const slot = slotOf(h);
    return keysOf(this.unitsOf(slot), this.offsetOf(slot), countOf(h));
  }

  /** The absolute times (t0 + relative) of the entries of `h`, an unknown one as `unknownAs`. */
  times(h: number, t0: number, unknownAs: number): number[] {
    if (h < 0) return [];
    const slot = slotOf(h);
    return timesOf(this.unitsOf(slot), this.offsetOf(slot), countOf(h), t0, unknownAs);
  }

  /** Copies the units of `h` to `out` at `at` (the snapshot's form); returns the units written. */
  copyOut(h: number, out: Uint16Array, at: number): number {
    const n = countOf(h) * UNITS;
    if (n === 0) return 0;
    const slot = slotOf(h);
    copyUnits(this.unitsOf(slot), this.offsetOf(slot), out, at, n);
    return n;
  }

  /** A handle for `n` entries copied from `units` at `at` (a snapshot's, see copyOut). */
  load(units: Uint16Array, at: number, n: number): number {
    if (n === 0) return EMPTY;
    if (!(n >= 1 && n <= MAX_REMEMBERED_EVENTS)) throw new RangeError(`${n} de-duplication entries (1-${MAX_REMEMBERED_EVENTS})`);
    const slot = this.alloc(n);
    copyUnits(units, at, this.unitsOf(slot), this.offsetOf(slot), n * UNITS);
    return slot * COUNT + n - 1;
  }

  /**
   * Moves every live block into fresh chunks and drops the free lists. `visitAll` calls `move`
   * once with the handle of every live record and stores the handle it returns in the record.
   */
  compact(visitAll: (move: (h: number) => number) => void): void {
    const old = this.chunks;
    this.chunks = [];
    this.top = this.chunkSlots;
    this.freeHead.fill(0);
    this.usedSlots = 0;
    this.freeSlots = 0;
    visitAll((h) => {
      if (h < 0) return h;
      const n = countOf(h);
      const from = slotOf(h);
      const to = this.alloc(n);
      copyUnits(old[from >>> this.chunkBits]!, this.offsetOf(from), this.unitsOf(to), this.offsetOf(to), n * UNITS);
      return to * COUNT + n - 1;
    });
  }
}
