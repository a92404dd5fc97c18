/**
 * Fetched batches of the Kafka source: each is queued and applied behind kafkajs, which may fetch
 * the next batches meanwhile (kafkajs fetches again only once every `eachBatch` of a fetch
 * returned). It does during the replay, in the pipeline's yields; live, where an apply is short
 * and never yields, kafkajs's next fetch still comes after the applies of its response
 * (docs/ingestion.md "When the next fetch is sent, traced": starting the queue later was measured
 * and gains nothing). One queue for all partitions, applied in order, so each partition's order
 * holds. `eachBatch` returns as soon as the batches queued and not yet started hold at most
 * `maxQueuedBytes`; kafkajs waits in `eachBatch` otherwise, which is the backpressure (and bounds
 * the memory of fetched batches).
 *
 * Applying a batch hands the records this process has not applied yet to `onBatch` in chunks, and
 * moves the partition's position (`ReplayTracker`) only after a chunk was applied. Records below
 * the position (re-fetched after a rejoin) are skipped, so a restarted consumer applies nothing
 * twice and skips nothing. A batch is dropped only with every batch queued after it of its
 * partition: those of a consumer that is no longer live (a new one is positioned on the
 * positions), and those fetched before a partition was held (see below). A batch of a partition
 * that kafkajs was told to re-read (`isStale`, a rejoin) is still applied: its records follow the
 * position, and the re-read ones below it are skipped; dropping it while applying the next
 * would skip its records.
 *
 * A dead letter that cannot be written (`DeadLetterWriteError`, naming its record) holds its
 * partition: the records before it are applied, the position stays on it, the partition is paused
 * and re-read from it every `holdRetryMs` until the dead letter is written (the DLQ writes it in
 * the background, dlq-writer.ts), so nothing is lost and the partition's order holds; the other
 * partitions go on. Any other rejection of `onBatch` is fatal: the position stays on the chunk's
 * first record and `onFatal` is told.
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { DeadLetterWriteError } from '../errors.js';
import { errorOf } from './kafka-util.js';
import type { ReplayTracker } from './replay-tracker.js';
import type { SourceBatch, SourceRecord } from './source.js';

export interface BatchHandlerOptions {
  readonly tracker: ReplayTracker;
  /** records handed to `onBatch` at once; the position moves and a heartbeat is sent after each */
  readonly chunkSize: number;
  /** value bytes of queued batches not yet being applied, beyond which `eachBatch` waits */
  readonly maxQueuedBytes: number;
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

/** A queued batch, or (messages null) a batch of only control records kafkajs resolved itself. */
interface Job {
  readonly topic: string;
  readonly partition: number;
  readonly messages: KafkaMessage[] | null;
  /** the offset after the batch */
  readonly end: bigint;
  readonly bytes: number;
  /** the partition's generation when the batch was fetched (see `held`) */
  readonly generation: number;
  readonly payload: EachBatchPayload | null;
  readonly current: () => boolean;
  /** control records only: the end of the batch of its partition queued before it (applied first, or this is dropped) */
  readonly after?: bigint | undefined;
}

export class BatchHandler {
  private readonly queue: Job[] = [];
  private head = 0;
  /** value bytes of the queued jobs not started yet */
  private waitingBytes = 0;
  private running: Promise<void> | null = null;
  /** `eachBatch` calls waiting for room */
  private readonly roomWaiters: (() => void)[] = [];
  /** topic \u0000 partition → generation: moves when a partition is held and when it is re-read */
  private readonly generations = new Map<string, number>();
  /** topic \u0000 partition → the end of its batch queued last */
  private readonly lastEnd = new Map<string, bigint>();

  constructor(private readonly opts: BatchHandlerOptions) {}

  /** Handles one `eachBatch` call; `current()` turns false when this consumer may no longer apply anything. */
  async handle(payload: EachBatchPayload, current: () => boolean): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    if (!current() || payload.isStale()) return;
    this.opts.tracker.observeHigh(topic, partition, BigInt(batch.highWatermark));
    // kafkajs reads on after this batch; this process's position moves only as it is applied
    payload.resolveOffset(batch.lastOffset());
    let bytes = 0;
    for (const m of batch.messages) bytes += m.value === null ? 0 : m.value.length;
    const end = BigInt(batch.lastOffset()) + 1n;
    this.lastEnd.set(`${topic}\u0000${partition}`, end);
    const generation = this.generation(topic, partition);
    this.push({ topic, partition, messages: batch.messages, end, bytes, generation, payload, current });
    while (this.waitingBytes > this.opts.maxQueuedBytes && current()) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  /**
   * Batches of only control records / aborted transactions never reach `handle`; kafkajs resolves
   * them itself, and the position must follow (after the batches queued before) or catch-up would
   * never be reached.
   */
  skipped(topic: string, partition: number, lastOffset: string, current: () => boolean): void {
    const generation = this.generation(topic, partition);
    const after = this.lastEnd.get(`${topic}\u0000${partition}`);
    this.push({ topic, partition, messages: null, end: BigInt(lastOffset) + 1n, bytes: 0, generation, payload: null, current, after });
  }

  /** Resolves when no batch is queued or being applied. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private generation(topic: string, partition: number): number {
    return this.generations.get(`${topic}\u0000${partition}`) ?? 0;
  }

  private bump(topic: string, partition: number): void {
    const key = `${topic}\u0000${partition}`;
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
  }

  private push(job: Job): void {
    this.queue.push(job);
    this.waitingBytes += job.bytes;
    this.running ??= this.work().finally(() => {
      this.running = null;
    });
  }

  private async work(): Promise<void> {
    while (this.head < this.queue.length) {
      const job = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Job;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.waitingBytes -= job.bytes;
      if (this.waitingBytes <= this.opts.maxQueuedBytes) this.wakeWaiters();
      try {
        await this.apply(job);
      } catch (err) {
        this.opts.onFatal(errorOf(err), job.topic, job.partition, job.end.toString());
      }
    }
    this.queue.length = 0;
    this.head = 0;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  private stale(job: Job): boolean {
    if (!job.current() || job.generation !== this.generation(job.topic, job.partition)) return true;
    return job.payload !== null && !job.payload.isRunning();
  }

  private async apply(job: Job): Promise<void> {
    const { topic, partition, end } = job;
    const { tracker, chunkSize } = this.opts;
    if (this.stale(job)) return;
    const from = tracker.position(topic, partition) ?? tracker.ensure(topic, partition);
    // the records before a control batch were dropped (to be fetched again): so is the control batch
    if (job.after !== undefined && from < job.after) return;
    const messages = job.messages === null ? [] : pending(job.messages, from);
    if (messages.length === 0) {
      // control records only, or all already applied in this process (re-fetched after a rejoin)
      tracker.advance(topic, partition, end, 0);
      this.opts.onProgress();
      return;
    }
    for (let i = 0; i < messages.length; i += chunkSize) {
      if (i > 0 && this.stale(job)) return;
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
        const applied = chunk.filter((m) => BigInt(m.offset) < BigInt(stuck)).length;
        if (applied > 0) tracker.advance(topic, partition, BigInt(stuck), applied);
        if (err instanceof DeadLetterWriteError && job.payload !== null) this.hold(job, job.payload, err, stuck);
        else this.opts.onFatal(errorOf(err), topic, partition, stuck);
        return;
      }
      const isLast = i + chunkSize >= messages.length;
      tracker.advance(topic, partition, isLast ? end : BigInt(last) + 1n, chunk.length);
      this.opts.onProgress();
      // not awaited: the next chunk need not wait for the broker. A rebalance is kafkajs' to handle
      // (its fetch loop sees it too); this consumer's batches go on, a new consumer's replace them
      job.payload?.heartbeat().catch(() => undefined);
    }
  }

  /** Pauses the job's partition, drops what was fetched of it since, and re-reads it from `offset` after `holdRetryMs`. */
  private hold(job: Job, payload: EachBatchPayload, err: Error, offset: string): void {
    const { topic, partition } = job;
    const resume = payload.pause();
    this.bump(topic, partition);
    this.opts.onHeld(err, topic, partition, offset);
    const timer = setTimeout(() => {
      if (!job.current()) return; // a new consumer positions itself on the tracker's positions
      this.opts.seek(topic, partition, offset);
      this.bump(topic, partition); // batches fetched while held are of the old position
      resume();
    }, this.opts.holdRetryMs ?? 1000);
    timer.unref();
  }
}

/** The messages at or after `from` (those before were applied by this process already). */
function pending(messages: KafkaMessage[], from: bigint): KafkaMessage[] {
  const first = messages[0];
  if (first === undefined || BigInt(first.offset) >= from) return messages;
  return messages.filter((m) => BigInt(m.offset) >= from);
}
