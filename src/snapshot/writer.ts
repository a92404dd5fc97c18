/**
 * Writes one snapshot to the snapshot topic's partition 0: header, chunks, trailer (records.ts),
 * with an idempotent producer and acks from all in-sync replicas, so a retry never duplicates a
 * record and a written trailer means every chunk before it is stored. The topic's
 * `max.message.bytes` (read from the broker once) bounds a record *batch*, not a record: each send
 * carries at most one chunk's worth of bytes, so its batch is never refused.
 */
import { randomBytes } from 'node:crypto';
import kafkajs, { type Producer } from 'kafkajs';
import type { KafkaClient } from '../ingest/kafka-client.js';
import type { Logger } from '../log.js';
import { sealSnapshot, type SnapshotMeta } from './envelope.js';
import { SNAPSHOT_PARTITION, toMessages } from './records.js';

/** Room left in each record for its key, headers and batch framing. */
const RECORD_OVERHEAD = 4096;
/** Broker default of max.message.bytes, used when the topic's value cannot be read. */
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

export interface WrittenSnapshot {
  readonly id: string;
  readonly chunks: number;
  readonly bytes: number;
  readonly imageBytes: number;
  readonly seconds: number;
}

export interface SnapshotWriterOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly logger: Logger;
  readonly clock?: () => number;
}

/** `<time>-<random>`: ids sort by time and never collide between writers. */
export function snapshotId(now: number): string {
  return `${new Date(now).toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
}

export class SnapshotWriter {
  private producer: Producer | null = null;
  private chunkBytes: number | null = null;
  private readonly clock: () => number;

  constructor(private readonly opts: SnapshotWriterOptions) {
    this.clock = opts.clock ?? Date.now;
  }

  /** The largest chunk: the topic's max.message.bytes less framing. */
  private async chunkSize(): Promise<number> {
    if (this.chunkBytes !== null) return this.chunkBytes;
    const admin = this.opts.kafka.admin();
    let max = DEFAULT_MAX_MESSAGE_BYTES;
    try {
      await admin.connect();
      const res = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: this.opts.topic, configNames: ['max.message.bytes'] }],
      });
      const v = res.resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue;
      if (v !== undefined && Number(v) > 0) max = Number(v);
    } catch (err) {
      this.opts.logger.warn(
        { err: (err as Error).message, topic: this.opts.topic },
        `cannot read max.message.bytes of ${this.opts.topic}; assuming ${max}`,
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    this.chunkBytes = Math.max(1024, Math.min(max, 8 * 1024 * 1024) - RECORD_OVERHEAD);
    return this.chunkBytes;
  }

  /** Seals `image` (compression, chunks, checksum) and writes it. */
  async write(meta: Omit<SnapshotMeta, 'id' | 'createdAt'>, image: Uint8Array): Promise<WrittenSnapshot> {
    const started = this.clock();
    const id = snapshotId(started);
    const sealed = await sealSnapshot({ ...meta, id, createdAt: started }, image, await this.chunkSize());
    if (this.producer === null) {
      const p = this.opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await p.connect();
      this.producer = p;
    }
    const messages = toMessages(sealed).map((m) => ({ ...m, partition: SNAPSHOT_PARTITION }));
    const limit = await this.chunkSize();
    let batch: typeof messages = [];
    let bytes = 0;
    for (const m of messages) {
      if (batch.length > 0 && bytes + m.value.length > limit) {
        await this.producer.send({ topic: this.opts.topic, messages: batch, acks: -1 });
        batch = [];
        bytes = 0;
      }
      batch.push(m);
      bytes += m.value.length;
    }
    if (batch.length > 0) await this.producer.send({ topic: this.opts.topic, messages: batch, acks: -1 });
    return {
      id,
      chunks: sealed.trailer.chunks,
      bytes: sealed.trailer.bytes,
      imageBytes: image.byteLength,
      seconds: Number(((this.clock() - started) / 1000).toFixed(3)),
    };
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    if (p !== null) await p.disconnect().catch(() => undefined);
  }
}
