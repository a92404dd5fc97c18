/**
 * An insertion-ordered table intentId → value, laid out for memory: what the store keeps its live
 * records and its tombstones in (store.ts, tombstones.ts), instead of `Map`s keyed by id strings
 * (a canonical intentId is an 88-byte V8 string, a `Map` entry 28-56 bytes more).
 *
 * - a log of entries in the order they were added, in chunks of `2^chunkBits`: the 32 bytes of a
 *   canonical intentId (`0x` + 64 lower-case hex digits, as every decoded event has it) as 8 int32
 *   words, the value (one slot of a JS array: a pointer, or an unboxed float64 while every value
 *   is a number) and a dead flag. Any other intentId is kept as a string beside its entry. The
 *   oldest entries are dropped from the front (freeing whole chunks); an entry deleted in the
 *   middle is only flagged dead, and once dead entries outnumber live ones the next `add` compacts
 *   the log (amortised O(1), the order kept);
 * - an index: a power-of-two array of log positions (+1, 0 = empty) with linear probing, at most
 *   3/4 full, and one byte of the key's hash per slot so that most probes of other keys are
 *   rejected without reading the log. Deletion shifts the following entries back (no markers).
 *   It doubles when 3/4 full and halves (down to its initial size) when less than 1/16 full, so a
 *   table that emptied does not keep the index of its largest size (5 bytes per slot).
 *
 * Keys are read from the id's hex digits in place (no string is made per lookup). The hash is not
 * keyed: a producer choosing intentIds to collide could slow lookups down, never make them wrong.
 */
const WORDS = 8;
const MAX_LOAD_NUM = 3;
const MAX_LOAD_DEN = 4;
/** the index halves below this load (1/16) */
const MIN_LOAD_DEN = 16;
/** log positions are renumbered (compacted) before they reach this */
const MAX_POSITION = 2 ** 30;

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;

/** the words of the id looked at last (`parse`) */
const words = new Int32Array(WORDS);

/** Reads a canonical id's 32 bytes into `words`; false (words undefined) for any other id. */
function parse(id: string): boolean {
  if (id.length !== 66 || id.charCodeAt(0) !== 48 || id.charCodeAt(1) !== 120) return false;
  for (let w = 0, i = 2; w < WORDS; w++) {
    let v = 0;
    for (let k = 0; k < 8; k++, i++) {
      const c = id.charCodeAt(i);
      const n = c < 128 ? NIBBLE[c]! : -1;
      if (n < 0) return false;
      v = (v << 4) | n;
    }
    words[w] = v;
  }
  return true;
}

function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0xcc9e2d51);
  return Math.imul((h << 15) | (h >>> 17), 0x1b873593);
}
function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
function hashWords(keys: Int32Array, at: number): number {
  let h = 0x9747b28c;
  for (let w = 0; w < WORDS; w++) h = mix(h, keys[at + w]!);
  return finish(h);
}
function hashString(s: string): number {
  let h = 0x1b873593;
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
  return finish(h);
}

class Chunk<V> {
  readonly keys: Int32Array;
  readonly values: V[];
  readonly dead: Uint8Array;
  /** ids that are not canonical, by offset in the chunk */
  other: (string | undefined)[] | null = null;

  constructor(size: number, empty: V) {
    this.keys = new Int32Array(size * WORDS);
    this.values = new Array<V>(size).fill(empty);
    this.dead = new Uint8Array(size);
  }
}

export class IdTable<V> {
  private readonly chunkBits: number;
  private readonly chunkSize: number;
  private chunks: Chunk<V>[] = [];
  /** log position of chunks[0]'s first entry */
  private first = 0;
  /** oldest entry not dropped */
  private head = 0;
  /** next position to append at */
  private tail = 0;
  /** dead entries in [head, tail) */
  private dead = 0;
  private count = 0;
  private index: Int32Array;
  private tags: Uint8Array;
  private mask: number;
  private readonly minIndex: number;

  /**
   * `empty`: what a deleted entry's value slot is set to (so it keeps nothing alive; a number for
   * number values, so the slots stay unboxed). `chunkBits`, `indexBits`: sizes of a log chunk and
   * of the initial index (small ones for tests).
   */
  constructor(
    private readonly empty: V,
    chunkBits = 14,
    indexBits = 10,
  ) {
    this.chunkBits = chunkBits;
    this.chunkSize = 1 << chunkBits;
    this.minIndex = 1 << indexBits;
    this.index = new Int32Array(1 << indexBits);
    this.tags = new Uint8Array(1 << indexBits);
    this.mask = (1 << indexBits) - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The position of `id`, or -1. */
  find(id: string): number {
    const canonical = parse(id);
    const h = canonical ? hashWords(words, 0) : hashString(id);
    const tag = h >>> 24;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.index[i]!;
      if (v === 0) return -1;
      if (this.tags[i] === tag && this.matches(v - 1, id, canonical)) return v - 1;
    }
  }

  get(id: string): V | undefined {
    const p = this.find(id);
    return p < 0 ? undefined : this.valueAt(p);
  }

  valueAt(p: number): V {
    return this.chunkOf(p).values[this.offset(p)]!;
  }

  setValueAt(p: number, value: V): void {
    this.chunkOf(p).values[this.offset(p)] = value;
  }

  /** Adds `id` (not present) as the newest entry; returns its position. */
  add(id: string, value: V): number {
    if (this.tail >= MAX_POSITION || (this.dead > this.count && this.dead >= this.chunkSize)) this.compact();
    if ((this.count + 1) * MAX_LOAD_DEN > this.index.length * MAX_LOAD_NUM) this.rebuildIndex(this.index.length * 2);
    const p = this.append(id, value);
    this.count++;
    this.insert(p, this.hashAt(p));
    return p;
  }

  /** Deletes the entry at position `p` (live). */
  deleteAt(p: number): void {
    const h = this.hashAt(p);
    let i = h & this.mask;
    while (this.index[i] !== p + 1) i = (i + 1) & this.mask;
    this.unindex(i);
    const c = this.chunkOf(p);
    const o = this.offset(p);
    c.dead[o] = 1;
    c.values[o] = this.empty;
    if (c.other !== null) c.other[o] = undefined;
    this.count--;
    this.dead++;
    if (this.count === 0) this.reset();
    else if (p === this.head) this.dropDeadHead();
    if (this.count * MIN_LOAD_DEN < this.index.length && this.index.length > this.minIndex) this.rebuildIndex(this.index.length / 2);
  }

  delete(id: string): boolean {
    const p = this.find(id);
    if (p < 0) return false;
    this.deleteAt(p);
    return true;
  }

  /** Live positions, oldest first. Deleting entries meanwhile is fine, `add` is not. */
  *positions(): IterableIterator<number> {
    for (let p = this.head; p < this.tail; p = Math.max(p + 1, this.head)) if (this.chunkOf(p).dead[this.offset(p)] === 0) yield p;
  }

  /** Live positions, newest first (no `add` or delete meanwhile). */
  *positionsNewestFirst(): IterableIterator<number> {
    for (let p = this.tail - 1; p >= this.head; p--) if (this.chunkOf(p).dead[this.offset(p)] === 0) yield p;
  }

  /** The intentId at position `p` (a new string). */
  idAt(p: number): string {
    const c = this.chunkOf(p);
    const o = this.offset(p);
    const other = c.other?.[o];
    if (other !== undefined) return other;
    let s = '0x';
    for (let w = 0; w < WORDS; w++) s += (c.keys[o * WORDS + w]! >>> 0).toString(16).padStart(8, '0');
    return s;
  }

  // ----------------------------------------------------------------------------------------------

  private chunkOf(p: number): Chunk<V> {
    return this.chunks[(p - this.first) >>> this.chunkBits]!;
  }
  private offset(p: number): number {
    return (p - this.first) & (this.chunkSize - 1);
  }

  /** Whether the entry at `p` is `id` (`canonical`: `words` holds its key). */
  private matches(p: number, id: string, canonical: boolean): boolean {
    const c = this.chunkOf(p);
    const o = this.offset(p);
    const other = c.other?.[o];
    if (other !== undefined) return other === id;
    if (!canonical) return false;
    const k = o * WORDS;
    const keys = c.keys;
    for (let w = 0; w < WORDS; w++) if (keys[k + w] !== words[w]) return false;
    return true;
  }

  private hashAt(p: number): number {
    const c = this.chunkOf(p);
    const o = this.offset(p);
    const other = c.other?.[o];
    return other !== undefined ? hashString(other) : hashWords(c.keys, o * WORDS);
  }

  private insert(p: number, h: number): void {
    let i = h & this.mask;
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = p + 1;
    this.tags[i] = h >>> 24;
  }

  /** Empties slot `i`, shifting back the entries after it that probed past it. */
  private unindex(i: number): void {
    const { index, tags, mask } = this;
    let j = i;
    for (let k = (i + 1) & mask; index[k] !== 0; k = (k + 1) & mask) {
      const home = this.hashAt(index[k]! - 1) & mask;
      if (((k - home) & mask) >= ((k - j) & mask)) {
        index[j] = index[k]!;
        tags[j] = tags[k]!;
        j = k;
      }
    }
    index[j] = 0;
    tags[j] = 0;
  }

  private append(id: string, value: V): number {
    const p = this.tail++;
    const n = (p - this.first) >>> this.chunkBits;
    if (n === this.chunks.length) this.chunks.push(new Chunk<V>(this.chunkSize, this.empty));
    const c = this.chunks[n]!;
    const o = this.offset(p);
    c.values[o] = value;
    c.dead[o] = 0;
    if (parse(id)) {
      c.keys.set(words, o * WORDS);
      if (c.other !== null) c.other[o] = undefined;
    } else {
      c.keys.fill(0, o * WORDS, (o + 1) * WORDS);
      (c.other ??= [])[o] = id;
    }
    return p;
  }

  /** Passes the dead entries at the front, freeing the chunks left behind. */
  private dropDeadHead(): void {
    while (this.head < this.tail && this.chunkOf(this.head).dead[this.offset(this.head)] === 1) {
      this.head++;
      this.dead--;
    }
    while (this.head - this.first >= this.chunkSize) {
      this.chunks.shift();
      this.first += this.chunkSize;
    }
  }

  private reset(): void {
    this.chunks = [];
    this.first = this.head = this.tail = this.dead = 0;
  }

  /** Rewrites the log without its dead entries (positions from 0), then the index. */
  private compact(): void {
    const live: [string, V][] = [];
    for (const p of this.positions()) live.push([this.idAt(p), this.valueAt(p)]);
    this.reset();
    for (const [id, value] of live) this.append(id, value);
    this.rebuildIndex(this.index.length);
  }

  private rebuildIndex(size: number): void {
    this.index = new Int32Array(size);
    this.tags = new Uint8Array(size);
    this.mask = size - 1;
    for (let p = this.head; p < this.tail; p++) if (this.chunkOf(p).dead[this.offset(p)] === 0) this.insert(p, this.hashAt(p));
  }
}
