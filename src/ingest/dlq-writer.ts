/**
 * The kafkajs `DeadLetterSink` (docs/ingestion.md "Dead letters"): a record that cannot be decoded
 * is written to the dead-letter topic with the headers of `dlq-headers.ts`.
 *
 * Writes are acknowledged by all in-sync replicas (acks=all) through an idempotent producer, and
 * retried with a bounded backoff (`DLQ_RETRY`). If the write still fails, `write` rejects: the
 * source then stops without passing the record's offset, so nothing is dropped silently.
 *
 * One dead letter per source record: the service replays its input from the earliest offset at
 * every start, on every node, so it meets the same bad record again and again. `open()` therefore
 * reads the DLQ topic once at start, before the source consumes (`dlq-index-loader.ts`), and
 * `write` skips a record that is already there. The index is read at start only: a bad record
 * that arrives while several nodes run is written by each of them. The DLQ is at-least-once; its
 * readers can de-duplicate by the `dlq.source.*` headers.
 */
import type { Producer, RetryOptions } from 'kafkajs';
import type { Logger } from '../log.js';
import { deadLetterHeaders } from './dlq-headers.js';
import { DeadLetterIndex, type SourcePosition } from './dlq-index.js';
import { DLQ_INDEX_TIMEOUT_MS, type DeadLetterIndexLoad, loadDeadLetterIndex } from './dlq-index-loader.js';
import { DLQ_RETRY, type KafkaClient } from './kafka-client.js';
import { errorOf } from './kafka-util.js';
import type { DeadLetterSink, SourceRecord } from './source.js';
import { requireTopics } from './topics.js';

export interface KafkaDlqOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly logger: Logger;
  /** bootstrap servers, for messages */
  readonly brokers: string;
  readonly retry?: RetryOptions;
  /**
   * The input topics (lifecycle, proofs): dead letters of these topics found in the DLQ topic at
   * `open()` are not written again.
   */
  readonly sourceTopics: readonly string[];
  /** longest the start-up read of the DLQ topic may take, ms (default DLQ_INDEX_TIMEOUT_MS) */
  readonly indexTimeoutMs?: number;
  readonly clock?: () => number;
}

/** The DLQ refused a record after retries; `record` is the one that could not be written. */
export class DeadLetterWriteError extends Error {
  override readonly name = 'DeadLetterWriteError';
  constructor(
    message: string,
    readonly record: SourceRecord,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class KafkaDlq implements DeadLetterSink {
  readonly topic: string;
  private readonly producer: Producer;
  private readonly opts: KafkaDlqOptions;
  private readonly logger: Logger;
  private readonly index = new DeadLetterIndex();
  private connecting: Promise<void> | null = null;
  private opening: Promise<DeadLetterIndexLoad> | null = null;
  private closed = false;
  private skipped = 0;
  /** ends the start-up read of the DLQ topic (close() during open()) */
  private readonly closing = new AbortController();

  constructor(opts: KafkaDlqOptions) {
    this.opts = opts;
    this.topic = opts.topic;
    this.logger = opts.logger.child({ component: 'kafka-dlq' });
    this.producer = opts.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: opts.retry ?? DLQ_RETRY,
    });
  }

  /**
   * Checks that the dead-letter topic exists (the service never creates topics) and connects the
   * producer. Called at start so a missing topic fails the start, not the first bad record.
   */
  connect(): Promise<void> {
    return (this.connecting ??= (async () => {
      const admin = this.opts.kafka.admin();
      await admin.connect();
      try {
        await requireTopics(admin, [this.topic], this.opts.brokers);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await this.producer.connect();
    })().catch((err: unknown) => {
      this.connecting = null;
      throw err;
    }));
  }

  /**
   * `connect()`, then reads the DLQ topic (`loadDeadLetterIndex`) so that `write` does not write
   * again what it holds. Call before the source starts consuming. Rejects only if `connect()` does
   * (DLQ topic missing, broker unreachable); a slow or failed read is logged and started without.
   */
  open(): Promise<DeadLetterIndexLoad> {
    return (this.opening ??= (async () => {
      await this.connect();
      return loadDeadLetterIndex({
        kafka: this.opts.kafka,
        topic: this.topic,
        sourceTopics: new Set(this.opts.sourceTopics),
        index: this.index,
        timeoutMs: this.opts.indexTimeoutMs ?? DLQ_INDEX_TIMEOUT_MS,
        logger: this.logger,
        clock: this.opts.clock ?? Date.now,
        signal: this.closing.signal,
      });
    })().catch((err: unknown) => {
      this.opening = null;
      throw err;
    }));
  }

  /** Writes skipped because the record was already in the DLQ topic. */
  get skippedWrites(): number {
    return this.skipped;
  }

  async write(record: SourceRecord, reason: string): Promise<void> {
    if (this.closed) throw new DeadLetterWriteError(`dead-letter topic "${this.topic}" is closed`, record);
    const position: SourcePosition = { topic: record.topic, partition: record.partition, offset: record.offset };
    const where = { topic: record.topic, partition: record.partition, offset: record.offset };
    if (this.index.has(position)) {
      this.skipped++;
      this.logger.debug(where, 'already dead-lettered; not written again');
      return;
    }
    try {
      await this.producer.connect();
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: [{ key: record.key, value: record.value, headers: deadLetterHeaders(record, reason) }],
      });
    } catch (err) {
      throw new DeadLetterWriteError(
        `could not write ${record.topic}/${record.partition} offset ${record.offset} to the dead-letter topic "${this.topic}": ${errorOf(err).message}`,
        record,
        { cause: err },
      );
    }
    this.index.add(position);
    this.logger.debug(where, 'dead letter written');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.producer.disconnect().catch(() => undefined);
  }
}
