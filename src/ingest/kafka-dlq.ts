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
 *
 * One dead letter per source record: the service replays its input from the earliest offset at
 * every start, on every node, so it meets the same bad record again and again. `open()` therefore
 * reads the DLQ topic once at start (before the source consumes) and collects the `dlq.source.*`
 * headers of the dead letters of our input topics (`DeadLetterIndex`); `write` skips a record
 * that is already there. The index is read at start only: a bad record that arrives while
 * several nodes run is written by each of them. The DLQ is at-least-once; its readers can
 * de-duplicate by the `dlq.source.*` headers.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { IHeaders, Producer, RetryOptions } from 'kafkajs';
import type { Logger } from '../log.js';
import { DeadLetterIndex, type SourcePosition } from './dlq-index.js';
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
  /**
   * The input topics (lifecycle, proofs): dead letters of these topics found in the DLQ topic at
   * `open()` are not written again.
   */
  readonly sourceTopics: readonly string[];
  /** longest the start-up read of the DLQ topic may take, ms (default 30000, see `open()`) */
  readonly indexTimeoutMs?: number;
  readonly clock?: () => number;
}

/** Default bound on the start-up read of the DLQ topic (measured ~60,000 dead letters/s: over a million). */
export const DLQ_INDEX_TIMEOUT_MS = 30_000;

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

/** The source record a dead letter names in its `dlq.source.*` headers; null if they are missing or malformed. */
export function deadLetterSource(headers: IHeaders | undefined): SourcePosition | null {
  const topic = headerString(headers?.[DLQ_HEADERS.topic]);
  const partition = headerString(headers?.[DLQ_HEADERS.partition]);
  const offset = headerString(headers?.[DLQ_HEADERS.offset]);
  if (topic === null || topic === '' || partition === null || offset === null) return null;
  if (!/^\d+$/.test(partition) || !/^\d+$/.test(offset)) return null;
  return { topic, partition: Number(partition), offset };
}

/** A header's value as a string; the last one if the header is repeated. */
function headerString(value: IHeaders[string]): string | null {
  const one = Array.isArray(value) ? value[value.length - 1] : value;
  if (one === undefined) return null;
  return typeof one === 'string' ? one : one.toString('utf8');
}

/** What the start-up read of the DLQ topic found (`KafkaDlq.open`). */
export interface DeadLetterIndexLoad {
  /** source records of our input topics already dead-lettered */
  readonly deadLettered: number;
  /** DLQ records read */
  readonly recordsRead: number;
  /** every DLQ partition was read up to its end offset at start */
  readonly complete: boolean;
  readonly durationMs: number;
}

export class KafkaDlq implements DeadLetterSink {
  readonly topic: string;
  private readonly producer: Producer;
  private readonly kafka: KafkaClient;
  private readonly logger: Logger;
  private readonly brokers: string;
  private readonly sourceTopics: ReadonlySet<string>;
  private readonly indexTimeoutMs: number;
  private readonly clock: () => number;
  private readonly index = new DeadLetterIndex();
  private connecting: Promise<void> | null = null;
  private opening: Promise<DeadLetterIndexLoad> | null = null;
  private closed = false;
  private skipped = 0;
  /** ends the start-up read of the DLQ topic (close() during open()) */
  private abortScan: (() => void) | null = null;

  constructor(opts: KafkaDlqOptions) {
    this.topic = opts.topic;
    this.kafka = opts.kafka;
    this.logger = opts.logger.child({ component: 'kafka-dlq' });
    this.brokers = opts.brokers;
    this.sourceTopics = new Set(opts.sourceTopics);
    this.indexTimeoutMs = opts.indexTimeoutMs ?? DLQ_INDEX_TIMEOUT_MS;
    this.clock = opts.clock ?? Date.now;
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

  /**
   * `connect()`, then reads the DLQ topic from its earliest retained offsets up to the end offsets
   * it has now and remembers which records of the input topics it already holds, so `write` does
   * not write them again. Call before the source starts consuming. Logs
   * `DLQ index: N records already dead-lettered, read in X ms`.
   *
   * The read is bounded by `indexTimeoutMs`; if it takes longer or fails, the service starts
   * anyway with what was read (logged at warn): dead letters not seen may then be written again,
   * which the at-least-once DLQ allows. Rejects only if `connect()` does (DLQ topic missing,
   * broker unreachable).
   */
  open(): Promise<DeadLetterIndexLoad> {
    return (this.opening ??= (async () => {
      await this.connect();
      return this.loadIndex();
    })().catch((err: unknown) => {
      this.opening = null;
      throw err;
    }));
  }

  /** Source records known to be in the DLQ topic (read at `open()` or written since). */
  get deadLetteredRecords(): number {
    return this.index.size;
  }

  /** Writes skipped because the record was already in the DLQ topic. */
  get skippedWrites(): number {
    return this.skipped;
  }

  async write(record: SourceRecord, reason: string): Promise<void> {
    if (this.closed) throw new DeadLetterWriteError(`dead-letter topic "${this.topic}" is closed`, record);
    const position: SourcePosition = { topic: record.topic, partition: record.partition, offset: record.offset };
    if (this.index.has(position)) {
      this.skipped++;
      this.logger.debug(
        { topic: record.topic, partition: record.partition, offset: record.offset },
        'already dead-lettered; not written again',
      );
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
      const message = err instanceof Error ? err.message : String(err);
      throw new DeadLetterWriteError(
        `could not write ${record.topic}/${record.partition} offset ${record.offset} to the dead-letter topic "${this.topic}": ${message}`,
        record,
        { cause: err },
      );
    }
    this.index.add(position);
    this.logger.debug({ topic: record.topic, partition: record.partition, offset: record.offset }, 'dead letter written');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abortScan?.();
    await this.producer.disconnect().catch(() => undefined);
  }

  // ------------------------------------------------------------------------------------------
  // the start-up read of the DLQ topic

  private async loadIndex(): Promise<DeadLetterIndexLoad> {
    const started = this.clock();
    const progress = { recordsRead: 0, complete: false };
    let failure: Error | null = null;
    try {
      await this.scan(progress, started + this.indexTimeoutMs);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    const load: DeadLetterIndexLoad = {
      deadLettered: this.index.size,
      recordsRead: progress.recordsRead,
      complete: progress.complete,
      durationMs: this.clock() - started,
    };
    const fields = { topic: this.topic, recordsRead: load.recordsRead, deadLettered: load.deadLettered, durationMs: load.durationMs };
    const summary = `DLQ index: ${load.deadLettered} records already dead-lettered, read in ${load.durationMs} ms`;
    if (load.complete) {
      this.logger.info(fields, summary);
    } else {
      this.logger.warn(
        { ...fields, err: failure?.message ?? `not done within ${this.indexTimeoutMs} ms` },
        `${summary}: the read did not reach the end of the DLQ topic; records dead-lettered before may be written to it again`,
      );
    }
    return load;
  }

  /**
   * Reads every partition of the DLQ topic from its earliest retained offset to its end offset at
   * the time of the call, with a consumer of a random group of its own, positioned explicitly
   * (`seek`) and never committing, until done or `deadline`.
   */
  private async scan(progress: { recordsRead: number; complete: boolean }, deadline: number): Promise<void> {
    // partition → [next offset to read, end offset at start]
    const todo = new Map<number, { position: bigint; end: bigint }>();
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      let offsets: { partition: number; low: string; high: string }[];
      try {
        offsets = await admin.fetchTopicOffsets(this.topic);
      } catch (err) {
        if (isUnknownTopic(err)) {
          // the topic vanished since connect(): nothing to skip; writing will fail (and stop the source)
          progress.complete = true;
          return;
        }
        throw err;
      }
      for (const p of offsets) {
        const low = BigInt(p.low);
        const high = BigInt(p.high);
        if (high > low) todo.set(p.partition, { position: low, end: high });
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (todo.size === 0) {
      progress.complete = true;
      return;
    }

    const consumer = this.kafka.consumer({
      groupId: `intent-projector-dlq-index-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 3000,
      retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 2000, restartOnFailure: async () => false },
    });
    let settle!: (err: Error | null) => void;
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err === null ? resolve() : reject(err));
    });
    done.catch(() => undefined); // a crash before the race below must not be an unhandled rejection
    this.abortScan = () => settle(new Error('the dead-letter sink was closed'));
    const checkDone = (): void => {
      for (const p of todo.values()) if (p.position < p.end) return;
      settle(null);
    };
    const { GROUP_JOIN, END_BATCH_PROCESS, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, (e) => {
      for (const partition of e.payload.memberAssignment[this.topic] ?? []) {
        const p = todo.get(partition);
        if (p !== undefined) consumer.seek({ topic: this.topic, partition, offset: p.position.toString() });
      }
    });
    consumer.on(END_BATCH_PROCESS, (e) => {
      const p = todo.get(e.payload.partition);
      const next = BigInt(e.payload.lastOffset) + 1n;
      if (p !== undefined && next > p.position) p.position = next;
      checkDone();
    });
    consumer.on(CRASH, (e) => settle(e.payload.error));

    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            progress.recordsRead++;
            const source = deadLetterSource(m.headers);
            if (source !== null && this.sourceTopics.has(source.topic)) this.index.add(source);
          }
        },
      });
      const timeout = new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not done within ${this.indexTimeoutMs} ms`)), Math.max(0, deadline - this.clock()));
        timer.unref();
      });
      await Promise.race([done, timeout]);
      progress.complete = true;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      this.abortScan = null;
      await withTimeout(consumer.disconnect(), 5000).catch(() => undefined);
    }
  }
}

function isUnknownTopic(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'type' in err && (err as { type: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
