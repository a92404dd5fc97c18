/**
 * Where each input partition starts and ends when the service starts: the replay range.
 * `low` is the earliest retained offset (where replay begins), `high` the end offset (the
 * high watermark: where the service counts as caught up).
 */
import type { Admin } from 'kafkajs';

export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  /** earliest retained offset */
  readonly low: bigint;
  /** end offset (next offset to be written) at the time of the call */
  readonly high: bigint;
}

/** Low and high offsets of every partition of `topics`, sorted by topic then partition. */
export async function fetchPartitionRanges(admin: Admin, topics: readonly string[]): Promise<PartitionRange[]> {
  const out: PartitionRange[] = [];
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    for (const p of offsets) {
      out.push({ topic, partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) });
    }
  }
  return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}
