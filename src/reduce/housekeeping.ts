/**
 * The housekeeping clock (docs/reducer.md "Untrusted time"): the time tombstone pruning and the
 * de-duplication horizon go by. An event's `occurredAt` is written by its producer and may be
 * years off; the fold still uses it as it is (evolve.ts), but housekeeping uses it clamped to the
 * Kafka record's timestamp plus `maxClockSkewMs`, so that one future-dated record cannot make the
 * store forget removals or take later events for redeliveries. Pure: the record timestamp is
 * input, not a clock.
 */

/** Default `MAX_CLOCK_SKEW_MS`: one hour, the broker's own bound on record timestamps ahead (Kafka 4). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 3_600_000;

/**
 * `occurredAt`, at most `recordTimestamp + maxClockSkewMs`. Without a usable record timestamp
 * (none known, or Kafka's -1 for "none") it is `occurredAt`.
 */
export function housekeepingTime(occurredAt: number, recordTimestamp: number | undefined, maxClockSkewMs: number): number {
  if (recordTimestamp === undefined || !Number.isFinite(recordTimestamp) || recordTimestamp < 0) return occurredAt;
  return Math.min(occurredAt, recordTimestamp + maxClockSkewMs);
}
