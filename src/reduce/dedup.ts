/**
 * De-duplication keys. Each projection remembers the events applied to it as 53-bit hashes of
 * their `eventId` (8 bytes each in a packed double array) instead of the id strings (~60-200
 * bytes each), and at most `MAX_REMEMBERED_EVENTS` of them: memory per intent is bounded.
 *
 * Trade-offs, documented in docs/reducer.md:
 * - two distinct eventIds of one intent colliding on 53 bits has probability ~n^2 / 2^54 (n = the
 *   events of that intent): ~1e-14 for a 20-event intent; the later one would be taken for a duplicate.
 * - an intent with more than MAX_REMEMBERED_EVENTS applied events forgets its oldest ids. It
 *   then keeps a horizon instead (`Projection.dedupHorizon`, the greatest occurredAt of the events
 *   it forgot; each remembered key keeps its event's occurredAt, 8 more bytes): an event whose id
 *   is not remembered and whose occurredAt is at or before the horizon is taken for a redelivery
 *   and ignored. So a redelivery never rolls a field back; the price is that a genuinely new
 *   event at least as old as a forgotten one, for such a long-lived intent, is ignored too.
 */
export const MAX_REMEMBERED_EVENTS = 64;

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

/** `seen` with `key` appended, the oldest dropped beyond MAX_REMEMBERED_EVENTS (a new array). */
export function remember(seen: readonly number[], key: number): readonly number[] {
  if (seen.length < MAX_REMEMBERED_EVENTS) {
    const next = seen.slice();
    next.push(key);
    return next;
  }
  const next = seen.slice(1);
  next.push(key);
  return next;
}
