/**
 * Reads ranges of offsets of one partition on demand, for finding the newest snapshot from the
 * end of the snapshot topic (newest.ts) without reading what lies before it. A kafkajs consumer in
 * a group of its own (kafkajs has no group-less consumer); for each range it seeks to the range's
 * start, collects the records up to its end and pauses the partition until the next request.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { KafkaClient } from '../ingest/kafka-client.js';

type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

export interface PartitionRecord {
  readonly offset: bigint;
  readonly value: Buffer | null;
  readonly headers: RawHeaders;
}

interface Request {
  readonly from: bigint;
  readonly to: bigint;
  readonly records: Map<bigint, PartitionRecord>;
  resolve(records: PartitionRecord[]): void;
  reject(err: Error): void;
}

export class PartitionReader {
  private request: Request | null = null;
  private failure: Error | null = null;

  private constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  /** A reader of `topic`/`partition`, positioned at `first` (the range the first `read` asks for). */
  static async open(kafka: KafkaClient, topic: string, partition: number, first: bigint): Promise<PartitionReader> {
    const consumer = kafka.consumer({
      groupId: `intent-projector-snapshot-read-${randomBytes(4).toString('hex')}`,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 32 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      maxWaitTimeInMs: 50,
    });
    const reader = new PartitionReader(consumer, topic, partition);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    consumer.on(consumer.events.CRASH, (e) => reader.fail(e.payload.error));
    await consumer.run({ autoCommit: false, eachBatch: async ({ batch }) => reader.onBatch(batch) });
    consumer.pause([{ topic }]);
    consumer.seek({ topic, partition, offset: first.toString() });
    return reader;
  }

  /** Every record with `from` ≤ offset < `to`, in offset order; rejects after `timeoutMs`. */
  read(from: bigint, to: bigint, timeoutMs: number): Promise<PartitionRecord[]> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.request !== null) return Promise.reject(new Error('one read at a time'));
    if (to <= from) return Promise.resolve([]);
    return new Promise<PartitionRecord[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.request = null;
        this.consumer.pause([{ topic: this.topic }]);
        reject(new Error(`reading offsets ${from}..${to - 1n} of ${this.topic} took longer than ${timeoutMs}ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.request = null;
        this.consumer.pause([{ topic: this.topic }]);
      };
      this.request = {
        from,
        to,
        records: new Map(),
        resolve: (records) => {
          done();
          resolve(records);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      };
      this.consumer.seek({ topic: this.topic, partition: this.partition, offset: from.toString() });
      this.consumer.resume([{ topic: this.topic }]);
    });
  }

  private onBatch(batch: { partition: number; messages: { offset: string; value: Buffer | null; headers?: RawHeaders }[] }): void {
    const r = this.request;
    if (r === null || batch.partition !== this.partition) return;
    let first: bigint | null = null;
    let last = -1n;
    for (const m of batch.messages) {
      const offset = BigInt(m.offset);
      first ??= offset;
      last = offset;
      if (offset >= r.from && offset < r.to) r.records.set(offset, { offset, value: m.value, headers: m.headers ?? {} });
    }
    // done when every offset of the range arrived, or a batch that starts inside the range reached
    // its end (a batch fetched before a seek may lie anywhere; offsets need not be contiguous)
    const reachedEnd = first !== null && first >= r.from && first < r.to && last >= r.to - 1n && r.records.has(r.from);
    if (BigInt(r.records.size) === r.to - r.from || reachedEnd) {
      r.resolve([...r.records.values()].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0)));
    }
  }

  private fail(err: Error): void {
    this.failure = err;
    this.request?.reject(err);
  }

  async close(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}
