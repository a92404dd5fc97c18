/**
 * De-duplication memory. Each intent remembers the events applied to it as 53-bit hashes of
 * their `eventId` instead of the id strings (~60-200 bytes each), and at most
 * `MAX_REMEMBERED_EVENTS` of them: memory per intent is bounded.
 *
 * The entries live in the store's arena (dedup-arena.ts; the record holds a handle,
 * `IntentRecord.seen`), 5 16-bit units (10 bytes) per event: the 53-bit key and the event's
 * occurredAt relative to the record's `t0` as a 27-bit integer (a time further than 2^26 ms,
 * ~18.6 hours, from `t0` is stored as "unknown", see below). Appending one writes it in place.
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
/** the stored relative time of an event further than 2^26 - 1 ms from t0 */
export const UNKNOWN_TIME = -0x4000000;

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
