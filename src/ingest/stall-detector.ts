/**
 * Stalled ingestion (docs/ingestion.md "Stalls and readiness"): a partition is stalled when records
 * wait on it (its position is below the latest known end offset) and its position has not moved
 * for `stallAfterMs`. Whatever the cause (a consumer that keeps crashing, a batch that cannot be
 * read, a dead letter that cannot be written), a stalled node must not report ready with zero
 * lag. Fed snapshots of the source's progress and the time; no timers, no I/O.
 */
import type { PartitionProgress } from './source.js';

export interface Stall {
  readonly topic: string;
  readonly partition: number;
  /** the offset it waits at */
  readonly position: string;
  /** records waiting behind it */
  readonly waiting: number;
  /** how long the position has not moved while records waited, ms */
  readonly forMs: number;
}

export class StallDetector {
  /** topic \u0000 partition → the position records were first seen waiting at, and when */
  private readonly waiting = new Map<string, { position: string; since: number }>();

  constructor(private readonly stallAfterMs: number) {}

  /** The stalled partitions (longest stalled first), given the partitions' progress at `now`. */
  check(partitions: readonly PartitionProgress[], now: number): Stall[] {
    const stalls: Stall[] = [];
    const present = new Set<string>();
    for (const p of partitions) {
      const key = `${p.topic}\u0000${p.partition}`;
      present.add(key);
      const behind = BigInt(p.high) - BigInt(p.position);
      if (behind <= 0n) {
        this.waiting.delete(key);
        continue;
      }
      const w = this.waiting.get(key);
      if (w === undefined || w.position !== p.position) {
        this.waiting.set(key, { position: p.position, since: now });
        continue;
      }
      const forMs = now - w.since;
      if (forMs >= this.stallAfterMs) {
        stalls.push({ topic: p.topic, partition: p.partition, position: p.position, waiting: Number(behind), forMs });
      }
    }
    for (const key of this.waiting.keys()) if (!present.has(key)) this.waiting.delete(key);
    return stalls.sort((a, b) => b.forMs - a.forMs);
  }
}
