/**
 * Where each input partition starts and ends when the service starts: the replay range.
 * `low` is the earliest retained offset (where replay begins), `high` the end offset (the
 * high watermark: where the service counts as caught up). Also the start-up check that the
 * topics exist: the service never creates its input topics (docs/ingestion.md "Topics").
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

export class MissingTopicError extends Error {
  override readonly name = 'MissingTopicError';
  constructor(
    readonly topics: readonly string[],
    brokers: string,
  ) {
    super(
      `Kafka topic${topics.length > 1 ? 's' : ''} ${topics.map((t) => `"${t}"`).join(', ')} ` +
        `${topics.length > 1 ? 'do' : 'does'} not exist on ${brokers}. The service never creates topics: ` +
        'create them (see docs/ingestion.md) or fix KAFKA_TOPIC_LIFECYCLE / KAFKA_TOPIC_PROOFS / KAFKA_TOPIC_DLQ',
    );
  }
}

/** Throws MissingTopicError naming every topic of `names` the cluster does not have. */
export async function requireTopics(admin: Admin, names: readonly string[], brokers: string): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = names.filter((n) => !existing.has(n));
  if (missing.length > 0) throw new MissingTopicError(missing, brokers);
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
