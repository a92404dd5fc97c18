/**
 * Which source records are already dead-lettered: the set of (topic, partition, offset) the DLQ
 * topic holds a dead letter of (docs/ingestion.md "Dead letters"). `KafkaDlq` fills it at start
 * from the `dlq.source.*` headers of the DLQ topic and skips writing a record that is in it, so a
 * restart (which replays the input from the earliest offset) or another node does not write the
 * same dead letter again.
 *
 * Memory: one `Set<number>` of offsets per topic-partition, about 30-50 bytes per dead letter
 * (measured ~31 B for offsets below 2^31): a million dead letters cost ~50 MB. Bad records are
 * rare, so the index is small in practice. Offsets above 2^53 (never reached in practice) are kept
 * as decimal strings so the set stays exact.
 */

/** Where a dead letter came from, from its `dlq.source.*` headers. */
export interface SourcePosition {
  readonly topic: string;
  readonly partition: number;
  /** decimal, as kafkajs gives offsets */
  readonly offset: string;
}

type OffsetKey = number | string;

/** A decimal offset as a set element: a number when exact, else the canonical decimal string. */
function offsetKey(offset: string): OffsetKey | null {
  if (!/^\d+$/.test(offset)) return null;
  const n = Number(offset);
  return Number.isSafeInteger(n) ? n : BigInt(offset).toString();
}

export class DeadLetterIndex {
  /** `topic \u0000 partition` → offsets */
  private readonly partitions = new Map<string, Set<OffsetKey>>();
  private count = 0;

  /** Number of source records known to be dead-lettered. */
  get size(): number {
    return this.count;
  }

  has(position: SourcePosition): boolean {
    const key = offsetKey(position.offset);
    if (key === null) return false;
    return this.partitions.get(partitionKey(position.topic, position.partition))?.has(key) ?? false;
  }

  /** Records `position` as dead-lettered; false if it was already (or is not a valid offset). */
  add(position: SourcePosition): boolean {
    const key = offsetKey(position.offset);
    if (key === null || !Number.isInteger(position.partition) || position.partition < 0) return false;
    const pk = partitionKey(position.topic, position.partition);
    let offsets = this.partitions.get(pk);
    if (offsets === undefined) this.partitions.set(pk, (offsets = new Set()));
    if (offsets.has(key)) return false;
    offsets.add(key);
    this.count++;
    return true;
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
