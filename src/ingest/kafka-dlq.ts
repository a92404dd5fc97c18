/**
 * The kafkajs `DeadLetterSink` (contract.md section 5): a record that cannot be decoded is written
 * to the dead-letter topic with its original key, value and headers, plus four headers naming
 * where it came from and why (docs/ingestion.md "Dead letters"):
 *
 *   dlq.source.topic      topic the record was read from
 *   dlq.source.partition  its partition (decimal)
 *   dlq.source.offset     its offset (decimal)
 *   dlq.reason            why it was refused, e.g. `data.fromChain: Invalid input: expected number`
 *
 * Writes are acknowledged by all in-sync replicas (acks=all) through an idempotent producer, and
 * retried with a bounded backoff (`DLQ_RETRY`). If the write still fails, `write` rejects: the
 * source then stops without passing the record's offset, so nothing is dropped silently.
 */
import type { IHeaders, Producer, RetryOptions } from 'kafkajs';
import type { Logger } from '../log.js';
import { requireTopics } from './end-offsets.js';
import { DLQ_RETRY, type KafkaClient } from './kafka-client.js';
import type { DeadLetterSink, SourceRecord } from './source.js';

export const DLQ_HEADERS = {
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
  reason: 'dlq.reason',
} as const;

/** Longest `dlq.reason` header, characters (the reasons decode.ts writes are far shorter). */
export const MAX_REASON_LENGTH = 1000;

export interface KafkaDlqOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly logger: Logger;
  /** bootstrap servers, for messages */
  readonly brokers: string;
  readonly retry?: RetryOptions;
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

/** The headers of the dead letter of `record`: its own, then the four `dlq.*` ones. */
export function deadLetterHeaders(record: SourceRecord, reason: string): IHeaders {
  return {
    ...record.headers,
    [DLQ_HEADERS.topic]: record.topic,
    [DLQ_HEADERS.partition]: String(record.partition),
    [DLQ_HEADERS.offset]: record.offset,
    [DLQ_HEADERS.reason]: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason,
  };
}

export class KafkaDlq implements DeadLetterSink {
  readonly topic: string;
  private readonly producer: Producer;
  private readonly kafka: KafkaClient;
  private readonly logger: Logger;
  private readonly brokers: string;
  private connecting: Promise<void> | null = null;
  private closed = false;

  constructor(opts: KafkaDlqOptions) {
    this.topic = opts.topic;
    this.kafka = opts.kafka;
    this.logger = opts.logger.child({ component: 'kafka-dlq' });
    this.brokers = opts.brokers;
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
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        await requireTopics(admin, [this.topic], this.brokers);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await this.producer.connect();
    })().catch((err: unknown) => {
      this.connecting = null;
      throw err;
    }));
  }

  async write(record: SourceRecord, reason: string): Promise<void> {
    if (this.closed) throw new DeadLetterWriteError(`dead-letter topic "${this.topic}" is closed`, record);
    try {
      await this.producer.connect();
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: [{ key: record.key, value: record.value, headers: deadLetterHeaders(record, reason) }],
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new DeadLetterWriteError(
        `could not write ${record.topic}/${record.partition} offset ${record.offset} to the dead-letter topic "${this.topic}": ${message}`,
        record,
        { cause: err },
      );
    }
    this.logger.debug({ topic: record.topic, partition: record.partition, offset: record.offset }, 'dead letter written');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.producer.disconnect().catch(() => undefined);
  }
}
