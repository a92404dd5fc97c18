/**
 * One fetched batch of the Kafka source: hands the records this process has not applied yet to
 * `onBatch` in chunks, and moves the partition's position (`ReplayTracker`) only after a chunk was
 * applied. Records below the position (re-fetched after a rejoin) are skipped, so a restarted
 * consumer applies nothing twice and skips nothing.
 *
 * A dead letter that cannot be written (`DeadLetterWriteError`, naming its record) holds its
 * partition: the records before it are applied, the position stays on it, the partition is paused
 * and re-read from it every `holdRetryMs` until the dead letter is written (the DLQ writes it in
 * the background, dlq-writer.ts), so nothing is lost and the partition's order holds; the other
 * partitions go on. Any other rejection of `onBatch` is fatal: the position stays on the chunk's
 * first record and `onFatal` is told.
 */
import type { Batch, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { DeadLetterWriteError } from '../errors.js';
import { errorOf } from './kafka-util.js';
import type { ReplayTracker } from './replay-tracker.js';
import type { SourceBatch, SourceRecord } from './source.js';

export interface BatchHandlerOptions {
  readonly tracker: ReplayTracker;
  /** records handed to `onBatch` at once; offsets are resolved and a heartbeat sent after each */
  readonly chunkSize: number;
  readonly onBatch: (batch: SourceBatch) => Promise<void>;
  /** a position moved: the source checks whether it caught up */
  readonly onProgress: () => void;
  /** `onBatch` rejected at `offset` of `topic`/`partition` */
  readonly onFatal: (cause: Error, topic: string, partition: number, offset: string) => void;
  /** the partition waits at `offset`: its dead letter could not be written */
  readonly onHeld: (cause: Error, topic: string, partition: number, offset: string) => void;
  /** positions the live consumer on `offset` (before a held partition is resumed) */
  readonly seek: (topic: string, partition: number, offset: string) => void;
  /** how often a held partition is re-read from its bad record (default 1000 ms) */
  readonly holdRetryMs?: number;
}

export function toSourceRecord(topic: string, partition: number, m: KafkaMessage): SourceRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    value: m.value ?? null,
    headers: m.headers ?? {},
    timestamp: Number(m.timestamp),
  };
}

export class BatchHandler {
  constructor(private readonly opts: BatchHandlerOptions) {}

  /** Handles one `eachBatch` call; `current()` turns false when this consumer may no longer apply anything. */
  async handle(payload: EachBatchPayload, current: () => boolean): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    const { tracker, chunkSize } = this.opts;
    if (!current()) return;
    tracker.observeHigh(topic, partition, BigInt(batch.highWatermark));
    const from = tracker.position(topic, partition) ?? tracker.ensure(topic, partition);
    const batchEnd = BigInt(batch.lastOffset()) + 1n;
    const messages = pending(batch, from);
    if (messages.length === 0) {
      // all already applied in this process (re-fetched after a rejoin): just move on
      resolveOffset(batch.lastOffset());
      tracker.advance(topic, partition, batchEnd, 0);
      this.opts.onProgress();
      return;
    }
    for (let i = 0; i < messages.length; i += chunkSize) {
      if (!isRunning() || isStale() || !current()) return;
      const chunk = messages.slice(i, i + chunkSize);
      const last = chunk[chunk.length - 1]!.offset;
      try {
        await this.opts.onBatch({ topic, partition, records: chunk.map((m) => toSourceRecord(topic, partition, m)) });
      } catch (err) {
        // A dead letter that could not be written names its record: the ones before it were applied.
        const stuck =
          err instanceof DeadLetterWriteError && err.record.topic === topic && err.record.partition === partition
            ? err.record.offset
            : chunk[0]!.offset;
        const applied = chunk.filter((m) => BigInt(m.offset) < BigInt(stuck));
        if (applied.length > 0) {
          resolveOffset(applied[applied.length - 1]!.offset);
          tracker.advance(topic, partition, BigInt(stuck), applied.length);
        }
        if (err instanceof DeadLetterWriteError) this.hold(payload, current, err, stuck);
        else this.opts.onFatal(errorOf(err), topic, partition, stuck);
        return;
      }
      resolveOffset(last);
      const isLast = i + chunkSize >= messages.length;
      tracker.advance(topic, partition, isLast ? batchEnd : BigInt(last) + 1n, chunk.length);
      this.opts.onProgress();
      await heartbeat();
    }
  }

  /** Pauses the batch's partition and re-reads it from `offset` after `holdRetryMs`. */
  private hold(payload: EachBatchPayload, current: () => boolean, err: Error, offset: string): void {
    const { topic, partition } = payload.batch;
    const resume = payload.pause();
    this.opts.onHeld(err, topic, partition, offset);
    const timer = setTimeout(() => {
      if (!current()) return; // a new consumer positions itself on the tracker's positions
      this.opts.seek(topic, partition, offset);
      resume();
    }, this.opts.holdRetryMs ?? 1000);
    timer.unref();
  }

  /**
   * Batches of only control records / aborted transactions never reach `handle`; kafkajs resolves
   * them itself, and the position must follow or catch-up would never be reached.
   */
  skipped(topic: string, partition: number, lastOffset: string): void {
    this.opts.tracker.advance(topic, partition, BigInt(lastOffset) + 1n, 0);
    this.opts.onProgress();
  }
}

/** The batch's messages at or after `from` (those before were applied by this process already). */
function pending(batch: Batch, from: bigint): KafkaMessage[] {
  const first = batch.messages[0];
  if (first === undefined || BigInt(first.offset) >= from) return batch.messages;
  return batch.messages.filter((m) => BigInt(m.offset) >= from);
}
