/**
 * The resume window (docs/resume.md): the emissions of the last `capacity` input records that changed
 * something, each with its Kafka coordinates and the offset vector after it, so that a client can
 * resume from a position (position.ts) on any node: the node re-sends the emissions of the
 * records the position does not cover, in its own order, none twice.
 *
 * Each entry keeps the record's emissions without their positions (a diff reads the intent's
 * record, which the next event of that intent changes in place: it cannot be kept), encoded as
 * JSON text (window-codec.ts) in chunks outside the heap (window-bytes.ts), with its coordinates
 * and offset vector in typed arrays: no JavaScript object per entry (docs/resume.md § "What an
 * entry costs"). A resume sends them again exactly as they were sent (same payloads, same
 * emission time), positions added. The window holds at most `capacity` records and `maxBytes`
 * bytes. It is filled during the start-up replay too (nothing is delivered then), so a node that
 * restarts can resume clients of any node. Pure: no I/O, no clock.
 */
import type { Emission, PositionedEmission, Routed } from './emissions.js';
import { covers, encodePosition, reached, type Cut } from './position.js';
import { ChunkedBytes } from './window-bytes.js';
import { decodeHead, decodePayloads, encodeHead, encodePayloads, intentHash } from './window-codec.js';

/** Default bound of the window's bytes (config RESUME_WINDOW_BYTES). */
export const DEFAULT_RESUME_WINDOW_BYTES = 32 * 1024 * 1024;
/** bytes of an entry's fixed fields (slot, offset, where its text is), besides its text and vector */
const INDEX_BYTES = 36;
/** entries the index is first sized for; it doubles up to the capacity */
const FIRST_ALLOC = 1024;

/** Where a window emission comes from: the entry's sequence number (pushes before it) and record. */
export interface EmissionSource {
  readonly seq: number;
  readonly slot: number;
  readonly offset: number;
  /** its number among the record's emissions */
  readonly index: number;
}

export type Wants = (e: Routed, source: EmissionSource) => boolean;

export type ResumeAnswer =
  /** `more`: the answer stopped at the limit; ask again from the last emission's position for the rest */
  | { readonly ok: true; readonly emissions: readonly PositionedEmission[]; readonly more: boolean }
  | { readonly ok: false; readonly reason: 'outside_window' | 'ahead' };

export class ResumeWindow {
  private readonly bytes = new ChunkedBytes();
  /** the index, a ring of `alloc` entries (grown up to the capacity): position r holds one entry */
  private alloc = 0;
  private slots = new Int32Array(0);
  private offsets = new Float64Array(0);
  private chunks = new Float64Array(0);
  private starts = new Uint32Array(0);
  /** UTF-8 bytes of the entry's head, then of the whole entry */
  private headLengths = new Uint32Array(0);
  private lengths = new Uint32Array(0);
  /** intentHash of the intent the entry's emissions are about: a one-intent resume skips the others unread */
  private ids = new Uint32Array(0);
  /** the node's offset vector after each entry's record: `width` numbers per position */
  private vectors = new Float64Array(0);
  private width = 0;
  private head = 0;
  private count = 0;
  private pushed = 0;
  private textBytes = 0;
  /** per slot: the lowest offset from which every record with emissions is in the window */
  private readonly floor: (number | undefined)[] = [];

  /**
   * `capacity` records at most, and at most `maxBytes` bytes (`bytes`): the oldest entries go
   * first when either bound is reached; a record whose entry alone exceeds `maxBytes` is not kept.
   */
  constructor(
    readonly capacity: number,
    private readonly hash: number,
    readonly maxBytes = DEFAULT_RESUME_WINDOW_BYTES,
  ) {}

  get size(): number {
    return this.count;
  }

  /** What the entries take: their text (UTF-8), their fixed fields and offset vectors. */
  get byteSize(): number {
    return this.textBytes + this.count * this.perEntry();
  }

  /** Entries pushed so far: the sequence number the next entry gets. */
  get seq(): number {
    return this.pushed;
  }

  /** The node applied the record (slot, offset); called for every record, changed or not. */
  seen(slot: number, offset: number): void {
    if (this.floor[slot] === undefined) this.floor[slot] = offset;
  }

  /** A record with emissions that is not kept (the replay far from its end): as if evicted at once. */
  skip(slot: number, offset: number): void {
    this.pushed++;
    this.gone(slot, offset);
  }

  /** Keeps the record (slot, offset)'s emissions (without positions); `after` = the node's offset vector after it. */
  push(slot: number, offset: number, emissions: readonly Emission[], after: readonly number[]): void {
    this.pushed++;
    if (this.capacity === 0) {
      this.gone(slot, offset);
      return;
    }
    const head = encodeHead(emissions);
    const payloads = encodePayloads(emissions);
    const headLength = Buffer.byteLength(head);
    const length = headLength + Buffer.byteLength(payloads);
    if (after.length > this.width) this.widen(after.length);
    if (length + this.perEntry() > this.maxBytes) {
      this.gone(slot, offset);
      return;
    }
    while (this.count > 0 && (this.count === this.capacity || this.byteSize + length + this.perEntry() > this.maxBytes)) this.evict();
    if (this.count === this.alloc) this.grow();
    const r = (this.head + this.count) % this.alloc;
    this.bytes.append(head, headLength, payloads, length - headLength);
    this.slots[r] = slot;
    this.offsets[r] = offset;
    this.chunks[r] = this.bytes.lastChunk;
    this.starts[r] = this.bytes.lastStart;
    this.headLengths[r] = headLength;
    this.lengths[r] = length;
    this.ids[r] = intentHash(emissions[0]?.payload.intentId ?? '');
    this.vectors.fill(0, r * this.width, (r + 1) * this.width);
    for (let s = 0; s < after.length; s++) this.vectors[r * this.width + s] = after[s]!;
    this.textBytes += length;
    this.count++;
  }

  /**
   * The emissions a subscriber (`wants`) missed after `since`, given the node's current offset
   * vector: emissions of the records not covered by `since`, the rest of the partially covered
   * record first, then in the node's order. Not ok when records `since` does not cover may have
   * left the window, or when the node has not applied everything `since` covers yet. With
   * `intentId`, `wants` takes only emissions about that intent: the others are not read. With
   * `limit`, the answer ends after the record whose emissions reach it (`more`: the rest is asked
   * for from the last emission's position; a paced resume, src/transport/subscriptions.ts).
   */
  missed(since: Cut, vector: readonly number[], wants: Wants, intentId?: string, limit = Number.POSITIVE_INFINITY): ResumeAnswer {
    if (!reached(vector, since)) return { ok: false, reason: 'ahead' };
    for (let s = 0; s < this.floor.length; s++) {
      const f = this.floor[s];
      if (f === undefined) continue;
      const next = since.offsets[s] ?? 0;
      const needed = since.partial?.slot === s ? next - 1 : next;
      if (needed < f) return { ok: false, reason: 'outside_window' };
    }
    const out: PositionedEmission[] = [];
    const only = intentId === undefined ? null : intentHash(intentId);
    const p = since.partial;
    const partialOffset = p === null ? -1 : (since.offsets[p.slot] ?? 0) - 1;
    if (p !== null) {
      for (let i = 0; i < this.count; i++) {
        const r = this.at(i);
        if (this.slots[r] !== p.slot || this.offsets[r] !== partialOffset) continue;
        if (only !== null && this.ids[r] !== only) break;
        this.emit(out, r, i, p.index + 1, wants, (k, last) => ({
          offsets: since.offsets,
          partial: k < last ? { slot: p.slot, index: k } : null,
        }));
        break;
      }
    }
    for (let i = this.firstUncovered(since); i < this.count; i++) {
      const r = this.at(i);
      if (only !== null && this.ids[r] !== only) continue;
      const slot = this.slots[r]!;
      const offset = this.offsets[r]!;
      if (covers(since, slot, offset, Number.POSITIVE_INFINITY)) continue;
      if (p !== null && slot === p.slot && offset === partialOffset) continue;
      if (out.length >= limit) return { ok: true, emissions: out, more: true };
      let merged: number[] | null = null;
      this.emit(out, r, i, 0, wants, (k, last) => {
        merged ??= this.mergedVector(r, since.offsets);
        return { offsets: merged, partial: k < last ? { slot, index: k } : null };
      });
    }
    return { ok: true, emissions: out, more: false };
  }

  /** Emissions `from`.. of the entry at position r (the i-th kept) that `wants` takes, positioned by `cut`. */
  private emit(out: PositionedEmission[], r: number, i: number, from: number, wants: Wants, cut: (k: number, last: number) => Cut): void {
    const chunk = this.chunks[r]!;
    const start = this.starts[r]!;
    const headLength = this.headLengths[r]!;
    const { routed } = decodeHead(this.bytes.read(chunk, start, headLength));
    const source = { seq: this.pushed - this.count + i, slot: this.slots[r]!, offset: this.offsets[r]! };
    let payloads: Record<string, unknown>[] | null = null;
    const last = routed.length - 1;
    for (let k = from; k < routed.length; k++) {
      const e = routed[k]!;
      if (!wants(e, { ...source, index: k })) continue;
      payloads ??= decodePayloads(this.bytes.read(chunk, start + headLength, this.lengths[r]! - headLength));
      const position = encodePosition(this.hash, cut(k, last));
      out.push({ rooms: e.rooms, event: e.event, payload: { ...payloads[k], position }, intent: e.intent } as PositionedEmission);
    }
  }

  /** Entries before the first whose `after` vector is not within `since` are all covered (vectors only grow). */
  private firstUncovered(since: Cut): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.within(this.at(mid), since.offsets)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Is the vector after the entry at position r at or below `offsets` in every slot? */
  private within(r: number, offsets: readonly number[]): boolean {
    const base = r * this.width;
    for (let s = 0; s < this.width; s++) if (this.vectors[base + s]! > (offsets[s] ?? 0)) return false;
    return true;
  }

  /** Componentwise maximum of `offsets` and the vector after the entry at position r. */
  private mergedVector(r: number, offsets: readonly number[]): number[] {
    const out = new Array<number>(Math.max(this.width, offsets.length));
    for (let s = 0; s < out.length; s++) out[s] = Math.max(offsets[s] ?? 0, s < this.width ? this.vectors[r * this.width + s]! : 0);
    return out;
  }

  private at(i: number): number {
    return (this.head + i) % this.alloc;
  }

  private perEntry(): number {
    return INDEX_BYTES + 8 * this.width;
  }

  private evict(): void {
    const r = this.head;
    this.gone(this.slots[r]!, this.offsets[r]!);
    this.textBytes -= this.lengths[r]!;
    this.head = (this.head + 1) % this.alloc;
    this.count--;
    if (this.count === 0) this.bytes.clear();
    else this.bytes.release(this.chunks[this.head]!);
  }

  /** The record (slot, offset) is not in the window (any more): a resume needing it is outside. */
  private gone(slot: number, offset: number): void {
    const f = this.floor[slot];
    if (f === undefined || f <= offset) this.floor[slot] = offset + 1;
  }

  /** More room in the index (entries laid out from position 0 again). */
  private grow(): void {
    const alloc = Math.min(this.capacity, Math.max(FIRST_ALLOC, this.alloc * 2));
    const order = Array.from({ length: this.count }, (_, i) => this.at(i));
    const moved = <A extends Int32Array | Uint32Array | Float64Array>(old: A, make: (n: number) => A): A => {
      const a = make(alloc);
      order.forEach((r, i) => {
        a[i] = old[r]!;
      });
      return a;
    };
    this.slots = moved(this.slots, (n) => new Int32Array(n));
    this.offsets = moved(this.offsets, (n) => new Float64Array(n));
    this.chunks = moved(this.chunks, (n) => new Float64Array(n));
    this.starts = moved(this.starts, (n) => new Uint32Array(n));
    this.headLengths = moved(this.headLengths, (n) => new Uint32Array(n));
    this.lengths = moved(this.lengths, (n) => new Uint32Array(n));
    this.ids = moved(this.ids, (n) => new Uint32Array(n));
    const vectors = new Float64Array(alloc * this.width);
    for (let i = 0; i < order.length; i++) {
      const r = order[i]!;
      vectors.set(this.vectors.subarray(r * this.width, (r + 1) * this.width), i * this.width);
    }
    this.vectors = vectors;
    this.alloc = alloc;
    this.head = 0;
  }

  /** Vectors of `width` slots (a partition appeared); the new slots are 0 in older entries. */
  private widen(width: number): void {
    const vectors = new Float64Array(this.alloc * width);
    for (let r = 0; r < this.alloc; r++) vectors.set(this.vectors.subarray(r * this.width, (r + 1) * this.width), r * width);
    this.vectors = vectors;
    this.width = width;
  }
}
