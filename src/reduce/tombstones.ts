/**
 * The tombstones of removed intents (store.ts): packed intentId (pack.ts `packId`) → removedAt,
 * in the order they were made, which is also the pruning queue.
 *
 * Memory (docs/reducer.md "Memory per projection"): not a `Map` of strings (a 48-byte key string
 * and a 28-56-byte entry, the table doubling at powers of two) but an ordered open-addressing
 * table over typed arrays, ~50-60 bytes per tombstone at any count:
 *
 * - a log of entries in the order they were made, in chunks of `2^chunkBits`: the 32 bytes of a
 *   canonical packed id as 8 int32 words, removedAt as a float64 (exact, whatever its value) and
 *   a dead flag. The oldest entries are dropped from the front (pruning frees whole chunks), a
 *   deleted one in the middle is only flagged dead; once dead entries outnumber live ones, the
 *   next `set` compacts the log (amortised O(1));
 * - an index: a power-of-two array of log positions (+1, 0 = empty) with linear probing, kept at
 *   most 3/4 full, plus one byte of the key's hash per slot so most probes of other keys are
 *   rejected without reading the log. Deletion shifts the following entries back (no markers).
 *
 * A packed id that is not canonical (pack.ts: `\u0100` + the id) is kept as a string beside its
 * entry. The hash is not keyed: a producer choosing intentIds to collide could slow lookups down
 * (never make them wrong).
 */
const WORDS = 8;
const MAX_LOAD_NUM = 3;
const MAX_LOAD_DEN = 4;
/** log positions are renumbered (compacted) before they reach this */
const MAX_POSITION = 2 ** 30;

class Chunk {
  readonly keys: Int32Array;
  readonly at: Float64Array;
  readonly dead: Uint8Array;
  /** non-canonical packed ids by offset in the chunk */
  other: (string | undefined)[] | null = null;

  constructor(size: number) {
    this.keys = new Int32Array(size * WORDS);
    this.at = new Float64Array(size);
    this.dead = new Uint8Array(size);
  }
}

const canonical = (packed: string): boolean => packed.length === 32 && packed.charCodeAt(0) < 0x100;
const word = (s: string, w: number): number =>
  s.charCodeAt(4 * w) | (s.charCodeAt(4 * w + 1) << 8) | (s.charCodeAt(4 * w + 2) << 16) | (s.charCodeAt(4 * w + 3) << 24);

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
function hashOf(packed: string): number {
  let h = 0x9747b28c;
  if (canonical(packed)) for (let w = 0; w < WORDS; w++) h = mix(h, word(packed, w));
  else for (let i = 0; i < packed.length; i++) h = mix(h, packed.charCodeAt(i));
  return finish(h);
}

export class Tombstones {
  private readonly chunkBits: number;
  private readonly chunkSize: number;
  private chunks: Chunk[] = [];
  /** log position of chunks[0]'s first entry */
  private first = 0;
  /** oldest entry not dropped (live, or dead and not yet passed) */
  private head = 0;
  /** next position to append at */
  private tail = 0;
  /** dead entries in [head, tail) */
  private dead = 0;
  private count = 0;
  private index: Int32Array;
  private tags: Uint8Array;
  private mask: number;

  /** `chunkBits`, `indexBits`: sizes of a log chunk and of the initial index (small ones for tests) */
  constructor(chunkBits = 14, indexBits = 10) {
    this.chunkBits = chunkBits;
    this.chunkSize = 1 << chunkBits;
    this.index = new Int32Array(1 << indexBits);
    this.tags = new Uint8Array(1 << indexBits);
    this.mask = (1 << indexBits) - 1;
  }

  get size(): number {
    return this.count;
  }

  get(packed: string): number | undefined {
    const p = this.find(packed, hashOf(packed));
    return p < 0 ? undefined : this.chunkOf(p).at[this.offset(p)];
  }

  /** Adds a tombstone as the newest (a present one keeps its place: `delete` it first to move it). */
  set(packed: string, removedAt: number): void {
    const h = hashOf(packed);
    const found = this.find(packed, h);
    if (found >= 0) {
      this.chunkOf(found).at[this.offset(found)] = removedAt;
      return;
    }
    if (this.tail >= MAX_POSITION || (this.dead > this.count && this.dead >= this.chunkSize)) this.compact();
    if ((this.count + 1) * MAX_LOAD_DEN > this.index.length * MAX_LOAD_NUM) this.rebuildIndex(this.index.length * 2);
    const p = this.append(packed, removedAt);
    this.count++;
    this.insert(p, h);
  }

  delete(packed: string): boolean {
    const h = hashOf(packed);
    let i = h & this.mask;
    for (;;) {
      const v = this.index[i]!;
      if (v === 0) return false;
      if (this.tags[i] === h >>> 24 && this.matches(v - 1, packed)) break;
      i = (i + 1) & this.mask;
    }
    const p = this.index[i]! - 1;
    this.unindex(i);
    const c = this.chunkOf(p);
    const o = this.offset(p);
    c.dead[o] = 1;
    if (c.other !== null) c.other[o] = undefined;
    this.count--;
    this.dead++;
    if (this.count === 0) this.reset();
    else if (p === this.head) this.dropDeadHead();
    return true;
  }

  /** packed intentId → removedAt, oldest first. Deleting entries meanwhile is fine, `set` is not. */
  *entries(): IterableIterator<[string, number]> {
    for (let p = this.head; p < this.tail; p = Math.max(p + 1, this.head)) {
      const c = this.chunkOf(p);
      const o = this.offset(p);
      if (c.dead[o] === 0) yield [this.keyAt(c, o), c.at[o]!];
    }
  }

  // ----------------------------------------------------------------------------------------------

  private chunkOf(p: number): Chunk {
    return this.chunks[(p - this.first) >>> this.chunkBits]!;
  }
  private offset(p: number): number {
    return (p - this.first) & (this.chunkSize - 1);
  }

  private keyAt(c: Chunk, o: number): string {
    const other = c.other?.[o];
    if (other !== undefined) return other;
    const codes = new Array<number>(32);
    for (let w = 0; w < WORDS; w++) {
      const v = c.keys[o * WORDS + w]!;
      codes[4 * w] = v & 0xff;
      codes[4 * w + 1] = (v >>> 8) & 0xff;
      codes[4 * w + 2] = (v >>> 16) & 0xff;
      codes[4 * w + 3] = v >>> 24;
    }
    return String.fromCharCode.apply(null, codes);
  }

  private matches(p: number, packed: string): boolean {
    const c = this.chunkOf(p);
    const o = this.offset(p);
    const other = c.other?.[o];
    if (other !== undefined) return other === packed;
    if (!canonical(packed)) return false;
    const k = o * WORDS;
    for (let w = 0; w < WORDS; w++) if (c.keys[k + w] !== word(packed, w)) return false;
    return true;
  }

  /** Index slot → log position of `packed`, or -1. */
  private find(packed: string, h: number): number {
    const tag = h >>> 24;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.index[i]!;
      if (v === 0) return -1;
      if (this.tags[i] === tag && this.matches(v - 1, packed)) return v - 1;
    }
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

  private hashAt(p: number): number {
    const c = this.chunkOf(p);
    const o = this.offset(p);
    const other = c.other?.[o];
    if (other !== undefined) return hashOf(other);
    let h = 0x9747b28c;
    for (let w = 0; w < WORDS; w++) h = mix(h, c.keys[o * WORDS + w]!);
    return finish(h);
  }

  private append(packed: string, removedAt: number): number {
    const p = this.tail++;
    const n = (p - this.first) >>> this.chunkBits;
    if (n === this.chunks.length) this.chunks.push(new Chunk(this.chunkSize));
    const c = this.chunks[n]!;
    const o = this.offset(p);
    c.at[o] = removedAt;
    c.dead[o] = 0;
    if (canonical(packed)) {
      for (let w = 0; w < WORDS; w++) c.keys[o * WORDS + w] = word(packed, w);
      if (c.other !== null) c.other[o] = undefined;
    } else {
      c.keys.fill(0, o * WORDS, (o + 1) * WORDS);
      (c.other ??= [])[o] = packed;
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
    const live: [string, number][] = [...this.entries()];
    this.reset();
    for (const [packed, at] of live) this.append(packed, at);
    this.rebuildIndex(this.index.length);
  }

  private rebuildIndex(size: number): void {
    this.index = new Int32Array(size);
    this.tags = new Uint8Array(size);
    this.mask = size - 1;
    for (let p = this.head; p < this.tail; p++) if (this.chunkOf(p).dead[this.offset(p)] === 0) this.insert(p, this.hashAt(p));
  }
}
