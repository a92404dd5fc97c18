/**
 * Stream positions (docs/resume.md): how far the input had got when an emission was made, in
 * Kafka coordinates only, so a position means the same on every node.
 *
 * A position is a *cut* of the two input topics: for every partition the next offset not
 * covered (`offsets`, indexed by slot = partition × 2 + topic role, 0 lifecycle, 1 proofs), plus
 * optionally a `partial` record: the record just below the cut on slot `partial.slot` is covered
 * only up to its emission number `partial.index` (a record makes several emissions; a client may
 * have got only the first ones). A record (slot, offset) is covered when offset < offsets[slot].
 *
 * Encoding, base64url without padding of:
 *   byte 0      format version (1)
 *   bytes 1..4  FNV-1a 32 of "<lifecycle topic>\0<proofs topic>" (a position of other topics is refused)
 *   varint n    number of slots (trailing zeros trimmed)
 *   n varints   next offsets, slot by slot
 *   varint      0 = no partial record, else partial slot + 1, followed by varint partial index
 * Varints are unsigned LEB128 (7 bits a byte), offsets below 2^53. Pure: no I/O, no clock.
 */

export const POSITION_VERSION = 1;
/** longest position string accepted from a client (a few hundred partitions) */
export const MAX_POSITION_LENGTH = 4096;

export interface Partial {
  readonly slot: number;
  /** emissions 0..index of the record at offsets[slot] - 1 are covered */
  readonly index: number;
}

export interface Cut {
  readonly offsets: readonly number[];
  readonly partial: Partial | null;
}

export const slotOf = (role: 0 | 1, partition: number): number => partition * 2 + role;

/** FNV-1a 32 of the two topic names: positions of other topics do not decode. */
export function topicsHash(lifecycle: string, proofs: string): number {
  const s = `${lifecycle}\u0000${proofs}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** where positions are encoded (one per emission on the live path): reused, grown when too small */
let scratch = Buffer.allocUnsafeSlow(512);
/** a varint of a number below 2^53 takes at most 8 bytes */
const MAX_VARINT = 8;

export function encodePosition(hash: number, cut: Cut): string {
  let n = cut.offsets.length;
  while (n > 0 && cut.offsets[n - 1] === 0) n--;
  if (cut.partial !== null && cut.partial.slot >= n) n = cut.partial.slot + 1;
  const most = 5 + (n + 4) * MAX_VARINT;
  if (most > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(most, scratch.length * 2));
  const b = scratch;
  b[0] = POSITION_VERSION;
  b.writeUInt32BE(hash >>> 0, 1);
  let at = varint(b, 5, n);
  for (let i = 0; i < n; i++) at = varint(b, at, cut.offsets[i] ?? 0);
  if (cut.partial === null) at = varint(b, at, 0);
  else {
    at = varint(b, at, cut.partial.slot + 1);
    at = varint(b, at, cut.partial.index);
  }
  return b.toString('base64url', 0, at);
}

/** The cut a position names, or null when it is malformed or of other topics. */
export function decodePosition(hash: number, position: unknown): Cut | null {
  if (typeof position !== 'string' || position.length === 0 || position.length > MAX_POSITION_LENGTH) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(position)) return null;
  const bytes = Buffer.from(position, 'base64url');
  if (bytes.length < 6 || bytes[0] !== POSITION_VERSION) return null;
  if (bytes.readUInt32BE(1) !== hash) return null;
  const r = { at: 5 };
  const n = readVarint(bytes, r);
  if (n === null || n > bytes.length) return null;
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = readVarint(bytes, r);
    if (o === null) return null;
    offsets.push(o);
  }
  const p = readVarint(bytes, r);
  if (p === null) return null;
  let partial: Partial | null = null;
  if (p > 0) {
    const index = readVarint(bytes, r);
    if (index === null || p > n || (offsets[p - 1] ?? 0) === 0) return null;
    partial = { slot: p - 1, index };
  }
  if (r.at !== bytes.length) return null;
  return { offsets, partial };
}

/** Is emission `index` of the record (slot, offset) covered by the cut? */
export function covers(cut: Cut, slot: number, offset: number, index: number): boolean {
  const next = cut.offsets[slot] ?? 0;
  if (offset < next - 1) return true;
  if (offset >= next) return false;
  // the record just below the cut: wholly covered unless it is the partial one
  return cut.partial === null || cut.partial.slot !== slot || index <= cut.partial.index;
}

/** Every record of `cut` is also at or below `vector` (a node has applied everything the cut names). */
export function reached(vector: readonly number[], cut: Cut): boolean {
  for (let i = 0; i < cut.offsets.length; i++) if ((vector[i] ?? 0) < (cut.offsets[i] ?? 0)) return false;
  return true;
}

/** Componentwise maximum of two offset vectors (a new array). */
export function maxVector(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = Math.max(a[i] ?? 0, b[i] ?? 0);
  return out;
}

/** Writes `value` as a varint at `at`; returns where it ends. */
function varint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  let i = at;
  while (v >= 0x80) {
    out[i++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[i++] = v;
  return i;
}

function readVarint(bytes: Uint8Array, r: { at: number }): number | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (r.at >= bytes.length) return null;
    const b = bytes[r.at++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return Number.isSafeInteger(value) ? value : null;
    scale *= 0x80;
  }
  return null;
}
