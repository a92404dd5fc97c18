/**
 * A consistent cut of a running pipeline: the store and the input positions it reflects, taken
 * at a moment with no batch half applied. `wrap` goes around the source's batch handler: it
 * records, after each batch resolved, the next offset of its partition; `take` waits until no
 * batch is in flight and then runs its function synchronously, so the store it reads and the
 * positions it returns belong together (a batch starts applying synchronously inside the handler
 * call, before `inFlight` is set, so nothing can slip in between).
 */
import type { SourceBatch } from '../ingest/source.js';
import type { PartitionPosition } from './envelope.js';
import { partitionKey } from './loader.js';

export class ConsistentCut {
  private readonly next = new Map<string, { topic: string; partition: number; offset: bigint }>();
  private inFlight: Promise<void> | null = null;

  /** `start`: where each input partition begins in this run (resume positions, or log starts). */
  constructor(start: Iterable<PartitionPosition>) {
    for (const p of start)
      this.next.set(partitionKey(p.topic, p.partition), { topic: p.topic, partition: p.partition, offset: BigInt(p.offset) });
  }

  wrap(onBatch: (batch: SourceBatch) => Promise<void>): (batch: SourceBatch) => Promise<void> {
    return async (batch) => {
      const applying = onBatch(batch);
      this.inFlight = applying;
      try {
        await applying;
        const last = batch.records[batch.records.length - 1];
        if (last !== undefined) {
          const k = partitionKey(batch.topic, batch.partition);
          const end = BigInt(last.offset) + 1n;
          const cur = this.next.get(k);
          if (cur === undefined || end > cur.offset) this.next.set(k, { topic: batch.topic, partition: batch.partition, offset: end });
        }
      } finally {
        if (this.inFlight === applying) this.inFlight = null;
      }
    };
  }

  /** Positions as of now, sorted by topic and partition. */
  positions(): PartitionPosition[] {
    return [...this.next.values()]
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
      .map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset.toString() }));
  }

  /** Runs `read` between two batches, with the positions it reflects. */
  async take<T>(read: (positions: PartitionPosition[]) => T): Promise<T> {
    while (this.inFlight !== null) await this.inFlight.catch(() => undefined);
    return read(this.positions());
  }
}
