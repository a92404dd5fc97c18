/**
 * Per-partition replay bookkeeping of one source run: the next offset to apply (position), the
 * end offset recorded at start (target: the replay is done when every position reached it) and
 * the latest known end offset (high, for lag). Positions only move forward, and only after a
 * batch was applied, so they are also where a restarted consumer resumes (no record applied
 * twice, none skipped). Pure bookkeeping: no I/O, no clock.
 */
import type { PartitionRange } from './end-offsets.js';
import type { PartitionProgress, ReplayProgress } from './source.js';

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** position at start (the earliest retained offset) */
  readonly start: bigint;
  position: bigint;
  readonly target: bigint;
  high: bigint;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplayTracker {
  private readonly parts = new Map<string, PartitionState>();
  private read = 0;

  constructor(ranges: readonly PartitionRange[]) {
    for (const r of ranges) {
      this.parts.set(key(r.topic, r.partition), {
        topic: r.topic,
        partition: r.partition,
        start: r.low,
        position: r.low,
        // biome-ignore lint/complexity/useMathMinMax: bigint offsets (Math.max takes numbers)
        target: r.high < r.low ? r.low : r.high,
        high: r.high,
      });
    }
  }

  /** Next offset to apply, or undefined for a partition unknown at start. */
  position(topic: string, partition: number): bigint | undefined {
    return this.parts.get(key(topic, partition))?.position;
  }

  /**
   * Registers a partition that appeared after start (partitions added to a topic). It starts at
   * offset 0 (the consumer clamps to the earliest retained offset) and never holds up catch-up.
   */
  ensure(topic: string, partition: number): bigint {
    const k = key(topic, partition);
    const existing = this.parts.get(k);
    if (existing !== undefined) return existing.position;
    this.parts.set(k, { topic, partition, start: 0n, position: 0n, target: 0n, high: 0n });
    return 0n;
  }

  /** `records` records were applied and the partition's next offset is now `next`. */
  advance(topic: string, partition: number, next: bigint, records: number): void {
    const p = this.parts.get(key(topic, partition));
    this.read += records;
    if (p === undefined) return;
    if (next > p.position) p.position = next;
    if (p.position > p.high) p.high = p.position;
  }

  /** A fetch reported the partition's current end offset. */
  observeHigh(topic: string, partition: number, high: bigint): void {
    const p = this.parts.get(key(topic, partition));
    if (p !== undefined && high > p.high) p.high = high;
  }

  /** Every partition reached the end offset it had at start. */
  get reachedTargets(): boolean {
    for (const p of this.parts.values()) if (p.position < p.target) return false;
    return true;
  }

  get partitionCount(): number {
    return this.parts.size;
  }

  progress(caughtUp: boolean): ReplayProgress {
    let toReplay = 0n;
    const partitions: PartitionProgress[] = [];
    for (const p of this.parts.values()) {
      toReplay += p.target - p.start;
      partitions.push({
        topic: p.topic,
        partition: p.partition,
        position: p.position.toString(),
        target: p.target.toString(),
        high: p.high.toString(),
      });
    }
    partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    return { caughtUp, recordsRead: this.read, recordsToReplay: Number(toReplay), partitions };
  }
}
