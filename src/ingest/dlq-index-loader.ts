/**
 * The start-up read of the dead-letter topic (docs/ingestion.md "Dead letters"): reads every
 * partition of the DLQ topic from its earliest retained offset to its end offset at the time of the
 * call and adds the source record each dead letter of our input topics names (`dlq.source.*`
 * headers) to a `DeadLetterIndex`, so the writer does not write it again.
 *
 * It uses a consumer of a random group of its own, positioned explicitly (`seek`) and never
 * committing. The read is bounded by `timeoutMs`; if it takes longer, fails, or `signal` aborts it,
 * the load reports `complete: false` (logged at warn) and the service starts with what was read:
 * dead letters not seen may then be written again, which the at-least-once DLQ allows.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log.js';
import { deadLetterSource } from './dlq-headers.js';
import type { DeadLetterIndex } from './dlq-index.js';
import type { KafkaClient } from './kafka-client.js';
import { errorOf, kafkaErrorType, withTimeout } from './kafka-util.js';

/** Default bound on the start-up read of the DLQ topic (measured ~60,000 dead letters/s: over a million). */
export const DLQ_INDEX_TIMEOUT_MS = 30_000;

/** What the start-up read of the DLQ topic found. */
export interface DeadLetterIndexLoad {
  /** source records of our input topics already dead-lettered */
  readonly deadLettered: number;
  /** DLQ records read */
  readonly recordsRead: number;
  /** every DLQ partition was read up to its end offset at start */
  readonly complete: boolean;
  readonly durationMs: number;
}

export interface DeadLetterIndexLoadOptions {
  readonly kafka: KafkaClient;
  /** the DLQ topic */
  readonly topic: string;
  /** the input topics: only their dead letters are indexed */
  readonly sourceTopics: ReadonlySet<string>;
  readonly index: DeadLetterIndex;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly clock: () => number;
  /** ends the read early (the sink was closed during start) */
  readonly signal?: AbortSignal;
}

/** Reads the DLQ topic into `opts.index`; never rejects. Logs `DLQ index: N records already dead-lettered, read in X ms`. */
export async function loadDeadLetterIndex(opts: DeadLetterIndexLoadOptions): Promise<DeadLetterIndexLoad> {
  const started = opts.clock();
  const progress = { recordsRead: 0, complete: false };
  let failure: Error | null = null;
  try {
    await scan(opts, progress);
  } catch (err) {
    failure = errorOf(err);
  }
  const load: DeadLetterIndexLoad = {
    deadLettered: opts.index.size,
    recordsRead: progress.recordsRead,
    complete: progress.complete,
    durationMs: opts.clock() - started,
  };
  const fields = { topic: opts.topic, recordsRead: load.recordsRead, deadLettered: load.deadLettered, durationMs: load.durationMs };
  const summary = `DLQ index: ${load.deadLettered} records already dead-lettered, read in ${load.durationMs} ms`;
  if (load.complete) {
    opts.logger.info(fields, summary);
  } else {
    opts.logger.warn(
      { ...fields, err: failure?.message ?? `not done within ${opts.timeoutMs} ms` },
      `${summary}: the read did not reach the end of the DLQ topic; records dead-lettered before may be written to it again`,
    );
  }
  return load;
}

async function scan(opts: DeadLetterIndexLoadOptions, progress: { recordsRead: number; complete: boolean }): Promise<void> {
  const { kafka, topic, index, sourceTopics } = opts;
  const deadline = opts.clock() + opts.timeoutMs;
  // partition → next offset to read, end offset at start
  const todo = new Map<number, { position: bigint; end: bigint }>();
  const admin = kafka.admin();
  try {
    await admin.connect();
    let offsets: { partition: number; low: string; high: string }[];
    try {
      offsets = await admin.fetchTopicOffsets(topic);
    } catch (err) {
      if (kafkaErrorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION') {
        // the topic vanished since the writer checked it: nothing to skip; writing will fail (and stop the source)
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

  const consumer = kafka.consumer({
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
  done.catch(() => undefined); // a crash before the wait below must not be an unhandled rejection
  const onAbort = (): void => settle(new Error('the dead-letter sink was closed'));
  if (opts.signal?.aborted === true) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const checkDone = (): void => {
    for (const p of todo.values()) if (p.position < p.end) return;
    settle(null);
  };
  const { GROUP_JOIN, END_BATCH_PROCESS, CRASH } = consumer.events;
  consumer.on(GROUP_JOIN, (e) => {
    for (const partition of e.payload.memberAssignment[topic] ?? []) {
      const p = todo.get(partition);
      if (p !== undefined) consumer.seek({ topic, partition, offset: p.position.toString() });
    }
  });
  consumer.on(END_BATCH_PROCESS, (e) => {
    const p = todo.get(e.payload.partition);
    const next = BigInt(e.payload.lastOffset) + 1n;
    if (p !== undefined && next > p.position) p.position = next;
    checkDone();
  });
  consumer.on(CRASH, (e) => settle(e.payload.error));

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          progress.recordsRead++;
          const source = deadLetterSource(m.headers);
          if (source !== null && sourceTopics.has(source.topic)) index.add(source);
        }
      },
    });
    await withTimeout(done, deadline - opts.clock(), 'reading the DLQ topic');
    progress.complete = true;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await withTimeout(consumer.disconnect(), 5000, 'disconnecting the DLQ index consumer').catch(() => undefined);
  }
}
