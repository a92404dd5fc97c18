/**
 * The kafkajs `DeadLetterSink` (docs/ingestion.md "Dead letters"): a record that cannot be decoded
 * is written to the dead-letter topic with the headers of `dlq-headers.ts`.
 *
 * Writes are acknowledged by all in-sync replicas (acks=all) through an idempotent producer, and
 * retried with a short bounded backoff (`DLQ_RETRY`). A dead letter larger than the DLQ topic's
 * `max.message.bytes` is written cut (`dlq-size.ts`).
 *
 * When a write still fails (topic missing or deleted, not authorised, broker gone), the sink turns
 * *unwritable* (docs/ingestion.md "When the DLQ cannot be written"): `write` rejects with
 * `DeadLetterWriteError` at once, for this and every other record, and keeps the dead letters it
 * refused; a background loop retries them with a capped backoff, forever. Once they are written
 * the sink is writable again and `write` of those records resolves at once (they are in the
 * index). The source meanwhile holds the partition at the record (batch-handler.ts), so nothing is
 * skipped and nothing is lost; the process never exits over it. A missing DLQ topic at start makes
 * the sink start unwritable rather than fail the start.
 *
 * One dead letter per source record: the service replays its input from the earliest offset at
 * every start, on every node, so it meets the same bad record again and again. `open()` therefore
 * reads the DLQ topic once at start, before the source consumes (`dlq-index-loader.ts`), and
 * `write` skips a record that is already there. The index is read at start only: a bad record
 * that arrives while several nodes run is written by each of them. The DLQ is at-least-once; its
 * readers can de-duplicate by the `dlq.source.*` headers.
 */
import kafkajs from 'kafkajs';
import type { Admin, Message, Producer, RetryOptions } from 'kafkajs';
import { DeadLetterWriteError, MissingTopicError } from '../errors.js';
import type { Logger } from '../log.js';
import { deadLetterHeaders } from './dlq-headers.js';
import { fitDeadLetter, KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from './dlq-size.js';
import { DeadLetterIndex, type SourcePosition } from './dlq-index.js';
import { DLQ_INDEX_TIMEOUT_MS, type DeadLetterIndexLoad, loadDeadLetterIndex } from './dlq-index-loader.js';
import { DLQ_RETRY, type KafkaClient } from './kafka-client.js';
import { errorOf, kafkaErrorType } from './kafka-util.js';
import type { DeadLetterSink, SourceRecord } from './source.js';
import { requireTopics } from './topics.js';

const { ConfigResourceTypes } = kafkajs;

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
  /** retries of the refused dead letters while unwritable: initial delay, doubling up to max (default 500..10000) */
  readonly recoveryBackoffMs?: { readonly initial: number; readonly max: number };
  readonly clock?: () => number;
}

/** Why the DLQ cannot be written, since when. */
export interface DeadLetterOutage {
  readonly reason: string;
  readonly since: number;
  /** dead letters refused and waiting to be written */
  readonly pending: number;
}

export class KafkaDlq implements DeadLetterSink {
  readonly topic: string;
  private producer: Producer;
  private readonly opts: KafkaDlqOptions;
  private readonly logger: Logger;
  private readonly index = new DeadLetterIndex();
  private connecting: Promise<void> | null = null;
  private opening: Promise<DeadLetterIndexLoad> | null = null;
  private closed = false;
  private skipped = 0;
  private truncated = 0;
  /** the DLQ topic's `max.message.bytes`, read at `connect()` */
  private maxMessageBytes = KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  private outage: { reason: string; since: number } | null = null;
  /** refused dead letters, by source position, written by `recover()` */
  private readonly pending = new Map<string, { record: SourceRecord; reason: string }>();
  private recovering: NodeJS.Timeout | null = null;
  /** a `recover()` is running: no second one may write the same dead letters */
  private recoveryRunning = false;
  private recoveryAttempts = 0;
  /** ends the start-up read of the DLQ topic (close() during open()) */
  private readonly closing = new AbortController();

  constructor(opts: KafkaDlqOptions) {
    this.opts = opts;
    this.topic = opts.topic;
    this.logger = opts.logger.child({ component: 'kafka-dlq' });
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.opts.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: this.opts.retry ?? DLQ_RETRY,
    });
  }

  /**
   * A fresh producer (a new producer id): after a topic was deleted and created again, or a
   * broker lost the producer's state, the old one's sequence numbers no longer match.
   */
  private async renewProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.newProducer();
    await old.disconnect().catch(() => undefined);
  }

  /**
   * Checks that the dead-letter topic exists (the service never creates topics), reads its
   * `max.message.bytes` and connects the producer. A missing topic does not fail: the sink starts
   * unwritable (logged at error) and the first bad record waits until the topic exists.
   */
  connect(): Promise<void> {
    return (this.connecting ??= (async () => {
      const admin = this.opts.kafka.admin();
      await admin.connect();
      try {
        try {
          await requireTopics(admin, [this.topic], this.opts.brokers);
          this.maxMessageBytes = await topicMaxMessageBytes(admin, this.topic);
        } catch (err) {
          if (!(err instanceof MissingTopicError)) throw err;
          this.markUnwritable(err.message);
        }
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

  /** Dead letters written cut because they did not fit the DLQ topic. */
  get truncatedWrites(): number {
    return this.truncated;
  }

  /** Why the DLQ cannot be written now; null while it can. */
  unwritable(): DeadLetterOutage | null {
    return this.outage === null ? null : { ...this.outage, pending: this.pending.size };
  }

  async write(record: SourceRecord, reason: string): Promise<void> {
    if (this.closed) throw new DeadLetterWriteError(`dead-letter topic "${this.topic}" is closed`, record);
    const position: SourcePosition = { topic: record.topic, partition: record.partition, offset: record.offset };
    if (this.index.has(position)) {
      this.skipped++;
      this.logger.debug(position, 'already dead-lettered; not written again');
      return;
    }
    if (this.outage !== null) {
      // fail fast: the partition waits; recover() writes the refused dead letters in the background
      this.refuse(record, reason);
      throw this.writeError(record, this.outage.reason);
    }
    try {
      await this.send(record, reason);
    } catch (err) {
      const message = this.failureOf(err);
      this.markUnwritable(message);
      this.refuse(record, reason);
      throw this.writeError(record, message, err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    if (this.recovering !== null) clearTimeout(this.recovering);
    this.recovering = null;
    await this.producer.disconnect().catch(() => undefined);
  }

  /**
   * Why a write failed, in the operator's words: a topic the broker does not host (deleted, or not
   * created yet) reads the same whether the start-up check or a later write found it.
   */
  private failureOf(err: unknown): string {
    const message = errorOf(err).message;
    const missing = [err, (err as { originalError?: unknown })?.originalError, (err as { cause?: unknown })?.cause].some(
      (e) => kafkaErrorType(e) === 'UNKNOWN_TOPIC_OR_PARTITION',
    );
    return missing || message.includes('does not host this topic-partition')
      ? `Kafka topic "${this.topic}" does not exist on the broker (${message})`
      : message;
  }

  private writeError(record: SourceRecord, message: string, cause?: unknown): DeadLetterWriteError {
    return new DeadLetterWriteError(
      `could not write ${record.topic}/${record.partition} offset ${record.offset} to the dead-letter topic "${this.topic}": ${message}`,
      record,
      cause === undefined ? undefined : { cause },
    );
  }

  /** Writes the dead letter of `record` (cut to fit the topic), then remembers it in the index. */
  private async send(record: SourceRecord, reason: string): Promise<void> {
    const full = { key: record.key, value: record.value, headers: deadLetterHeaders(record, reason) };
    let message: Message = fitDeadLetter(full, this.maxMessageBytes);
    await this.producer.connect();
    try {
      await this.producer.send({ topic: this.topic, acks: -1, messages: [message] });
    } catch (err) {
      // the topic's limit is lower than read at start (changed since): drop the value altogether
      if (kafkaErrorType(err) !== 'MESSAGE_TOO_LARGE' || message.value === null) throw err;
      message = fitDeadLetter(full, 0);
      await this.producer.send({ topic: this.topic, acks: -1, messages: [{ ...message, key: record.key }] });
    }
    const where = { topic: record.topic, partition: record.partition, offset: record.offset };
    if (message !== full) {
      this.truncated++;
      this.logger.warn(
        { ...where, valueBytes: record.value?.length ?? 0, maxMessageBytes: this.maxMessageBytes },
        'dead letter too large for the DLQ topic: written with its value cut (header dlq.value.truncated)',
      );
    }
    this.index.add(where);
    this.logger.debug(where, 'dead letter written');
  }

  private refuse(record: SourceRecord, reason: string): void {
    this.pending.set(`${record.topic}\u0000${record.partition}\u0000${record.offset}`, { record, reason });
    this.scheduleRecovery();
  }

  private markUnwritable(reason: string): void {
    if (this.outage !== null) {
      this.outage.reason = reason;
      return;
    }
    this.outage = { reason, since: (this.opts.clock ?? Date.now)() };
    this.recoveryAttempts = 0;
    this.logger.error({ topic: this.topic, err: reason }, 'dead-letter topic cannot be written: partitions with a bad record wait');
  }

  private scheduleRecovery(): void {
    if (this.recovering !== null || this.recoveryRunning || this.closed) return;
    const { initial, max } = this.opts.recoveryBackoffMs ?? { initial: 500, max: 10_000 };
    const delay = Math.min(max, initial * 2 ** Math.min(this.recoveryAttempts, 20));
    this.recoveryAttempts++;
    this.recovering = setTimeout(() => {
      this.recovering = null;
      void this.recover();
    }, delay);
    this.recovering.unref();
  }

  /** Writes the refused dead letters, oldest first; writable again once all are written. */
  private async recover(): Promise<void> {
    this.recoveryRunning = true;
    try {
      for (const [key, { record, reason }] of this.pending) {
        if (this.closed) return;
        await this.send(record, reason);
        this.pending.delete(key);
      }
    } catch (err) {
      if (this.outage !== null) this.outage.reason = this.failureOf(err);
      await this.renewProducer();
      this.recoveryRunning = false;
      this.scheduleRecovery();
      return;
    } finally {
      this.recoveryRunning = false;
    }
    if (this.outage !== null && !this.closed) {
      const downForMs = (this.opts.clock ?? Date.now)() - this.outage.since;
      this.outage = null;
      this.logger.info({ topic: this.topic, downForMs }, 'dead-letter topic writable again');
    }
  }
}

/** The topic's `max.message.bytes` (Kafka's default when it cannot be read). */
async function topicMaxMessageBytes(admin: Admin, topic: string): Promise<number> {
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
    });
    const value = described.resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue;
    const n = Number(value);
    return Number.isSafeInteger(n) && n > 0 ? n : KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  } catch {
    return KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  }
}
