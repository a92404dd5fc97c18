/**
 * Compact, lossless storage of the hex strings the fold keeps (intentIds of tombstones,
 * transaction hashes, users, settlement proofs): `0x` + an even number of lower-case hex digits
 * is stored as a one-byte string of its bytes (half the characters), tagged by its first char.
 * Anything else is kept verbatim, tagged too, so every string round-trips exactly:
 *
 *   "\u0001" + bytes   was "0x" + lower-case hex digits
 *   "\u0000" + s       anything else (s verbatim)
 *
 * A 66-character transaction hash (an 88-byte V8 string) becomes 33 characters (56 bytes), a
 * 514-character settlement proof 258 (280 bytes instead of 536).
 * `packId` packs an intentId without a tag: exactly 32 characters (48 bytes) for the canonical
 * form every decoded event has (`0x` + 64 lower-case hex digits), `\u0100` + the id otherwise
 * (never 32 one-byte characters, so the two forms cannot collide).
 */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;
const MAX_PACKED = 1 << 16;
const codes: number[] = [];

/**
 * The bytes of `s` from index 2 on as one-byte characters, after `tag` (-1: none), or null when
 * `s` is not `0x` + lower-case hex. The result is a flat string (fromCharCode), never a
 * concatenation: a `ConsString` would keep its parts (and 32 more bytes) alive.
 */
function bytesOf(s: string, tag: number): string | null {
  const n = (s.length - 2) >>> 1;
  if (s.length < 4 || (s.length & 1) === 1 || n > MAX_PACKED || s.charCodeAt(0) !== 48 || s.charCodeAt(1) !== 120) return null;
  const o = tag < 0 ? 0 : 1;
  codes.length = n + o;
  if (o === 1) codes[0] = tag;
  for (let i = 0, j = 2; i < n; i++, j += 2) {
    const a = s.charCodeAt(j);
    const b = s.charCodeAt(j + 1);
    const hi = a < 128 ? NIBBLE[a]! : -1;
    const lo = b < 128 ? NIBBLE[b]! : -1;
    if ((hi | lo) < 0) return null;
    codes[i + o] = (hi << 4) | lo;
  }
  return String.fromCharCode.apply(null, codes);
}

/** `a + b` as one flat string (see bytesOf). */
export const join = (a: string, b: string): string => [a, b].join('');

const hexOf = (bytes: string): string => `0x${Buffer.from(bytes, 'latin1').toString('hex')}`;

/** `s` in its packed form (see above). */
export function pack(s: string): string {
  return bytesOf(s, 1) ?? join('\u0000', s);
}

/** The string `pack` was given. */
export function unpack(p: string): string {
  return p.charCodeAt(0) === 1 ? hexOf(p.slice(1)) : p.slice(1);
}

export const packOrNull = (s: string | null): string | null => (s === null ? null : pack(s));
export const unpackOrNull = (p: string | null): string | null => (p === null ? null : unpack(p));

/** An intentId as a compact key: 32 characters for the canonical form, tagged verbatim otherwise. */
export function packId(id: string): string {
  return (id.length === 66 ? bytesOf(id, -1) : null) ?? join('\u0100', id);
}

/** The intentId `packId` was given. */
export function unpackId(key: string): string {
  return key.charCodeAt(0) === 0x100 ? key.slice(1) : hexOf(key);
}
