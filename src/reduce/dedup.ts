/**
 * De-duplication memory. Each intent remembers the events applied to it as 53-bit hashes of
 * their `eventId` instead of the id strings (~60-200 bytes each), and at most
 * `MAX_REMEMBERED_EVENTS` of them: memory per intent is bounded.
 *
 * The entries live in one string per intent (`IntentRecord.seen`), 5 UTF-16 code units (10
 * bytes) per event: the 53-bit key and the event's occurredAt relative to the record's `t0` as a
 * 27-bit integer (a time further than 2^26 ms, ~18.6 hours, from `t0` is stored as "unknown", see
 * below). Units: the key's bits 0-15, 16-31, 32-47, then key bits 48-52 above the time's bits
 * 16-26, then the time's bits 0-15. One string costs no array headers and no growth slack.
 *
 * Trade-offs, documented in docs/reducer.md:
 * - two distinct eventIds of one intent colliding on 53 bits has probability ~n^2 / 2^54 (n = the
 *   events of that intent): ~1e-14 for a 20-event intent; the later one would be taken for a duplicate.
 * - an intent with more than MAX_REMEMBERED_EVENTS applied events forgets its oldest ids. It
 *   then keeps a horizon instead (`dedupHorizon`, the greatest occurredAt of the events it
 *   forgot): an event whose id is not remembered and whose occurredAt is at or before the horizon
 *   is taken for a redelivery and ignored. So a redelivery never rolls a field back; the price is
 *   that a genuinely new event at least as old as a forgotten one, for such a long-lived intent,
 *   is ignored too. A forgotten event whose time was stored as unknown moves the horizon to the
 *   intent's updatedAt at that moment (the greatest time it could have had): still no roll-back.
 */
export const MAX_REMEMBERED_EVENTS = 64;
/** code units per entry */
export const ENTRY = 5;
export const MAX_SEEN_LENGTH = MAX_REMEMBERED_EVENTS * ENTRY;
/** the stored relative time of an event further than 2^26 - 1 ms from t0 */
export const UNKNOWN_TIME = -0x4000000;
const TIME_BITS = 27;

/** 53-bit hash of a string: FNV-1a (32 bits) and a second multiplicative hash (21 bits). */
export function eventKey(eventId: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x2545f491;
  for (let i = 0; i < eventId.length; i++) {
    const c = eventId.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
}

/** Whether `seen` holds `key`. */
export function seenHas(seen: string, key: number): boolean {
  const lo = key >>> 0;
  const hi = (key - lo) / 0x100000000;
  const a = lo & 0xffff;
  const b = lo >>> 16;
  const c = hi & 0xffff;
  const d = hi >>> 16;
  for (let i = 0; i < seen.length; i += ENTRY) {
    if (seen.charCodeAt(i) === a && seen.charCodeAt(i + 1) === b && seen.charCodeAt(i + 2) === c && seen.charCodeAt(i + 3) >>> 11 === d) {
      return true;
    }
  }
  return false;
}

/** One entry: `key` and the relative time `rel` (or UNKNOWN_TIME when it does not fit 27 bits). */
export function seenEntry(key: number, rel: number): string {
  const lo = key >>> 0;
  const hi = (key - lo) / 0x100000000;
  const t = rel === (rel | 0) && rel > UNKNOWN_TIME && rel < -UNKNOWN_TIME ? rel : UNKNOWN_TIME;
  return String.fromCharCode(lo & 0xffff, lo >>> 16, hi & 0xffff, ((hi >>> 16) << 11) | ((t >>> 16) & 0x7ff), t & 0xffff);
}

/** The relative time of the entry at index `i` (UNKNOWN_TIME when unknown). */
export function seenTimeAt(seen: string, i: number): number {
  const o = i * ENTRY;
  // the 27-bit time, sign-extended
  return ((((seen.charCodeAt(o + 3) & 0x7ff) << 16) | seen.charCodeAt(o + 4)) << (32 - TIME_BITS)) >> (32 - TIME_BITS);
}

export function seenKeys(seen: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < seen.length; i += ENTRY) {
    const lo = (seen.charCodeAt(i) | (seen.charCodeAt(i + 1) << 16)) >>> 0;
    const hi = seen.charCodeAt(i + 2) | ((seen.charCodeAt(i + 3) >>> 11) << 16);
    out.push(hi * 0x100000000 + lo);
  }
  return out;
}

/** Absolute times of the entries (an unknown one as `unknownAs`). */
export function seenTimes(seen: string, t0: number, unknownAs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < seen.length / ENTRY; i++) {
    const rel = seenTimeAt(seen, i);
    out.push(rel === UNKNOWN_TIME ? unknownAs : t0 + rel);
  }
  return out;
}
