/**
 * The kafkajs implementation of the `EventSource` port (docs/ingestion.md). It composes three
 * parts, each in a file of its own: `consumer-runner.ts` (the consumer lifecycle),
 * `batch-handler.ts` (records → `onBatch`, positions) and `broker-watchdog.ts` (reachability).
 *
 * - Every node reads every partition of both input topics through a consumer group of its own
 *   (unique per process unless KAFKA_GROUP_ID is set), so nodes share nothing.
 * - Start: the topics must exist; the end offset of every partition is recorded (the replay
 *   target) and the consumer is positioned on the earliest retained offset, whatever a group may
 *   have committed. Caught up = every partition reached its target.
 * - Offsets are never committed. Positions live in this process (`ReplayTracker`) and advance
 *   only after `onBatch` resolved (the records applied and fanned out). Each time the consumer
 *   (re)joins its group it is positioned on them; records below them are skipped. So a rejoin or
 *   a restarted consumer resumes exactly where the service is: nothing lost, nothing applied twice.
 * - Faults: when no consumer request completed for `connectionLostAfterMs` (or the consumer
 *   crashed) the broker is probed; a failed probe is reported once as `onConnectionChange(false)`,
 *   the next answer as `true`. A consumer that kafkajs gives up on is replaced by a new one after
 *   a capped backoff, for as long as the source runs (with a generated group id, in a fresh group,
 *   so it need not wait for the dead member's session to expire).
 * - A dead letter that cannot be written holds its partition at the bad record until it is
 *   written (batch-handler.ts); the other partitions go on. Any other rejected `onBatch` is fatal:
 *   the offset is not passed, `onFatal` is called and consumption stops.
 * - `problem()` says what keeps records from being applied (a consumer that keeps crashing, a
 *   held partition); the end offsets are polled (`end-offset-poller.ts`) so that records waiting
 *   behind a stuck consumer show as lag (docs/ingestion.md "Stalls and readiness").
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RetryOptions } from 'kafkajs';
import { type Config, inputTopics, topicList } from '../config.js';
import type { Logger } from '../log.js';
import { BatchHandler } from './batch-handler.js';
import { BrokerWatchdog } from './broker-watchdog.js';
import { EndOffsetPoller } from './end-offset-poller.js';
import { ConsumerRunner, DEFAULT_FETCH, type FetchSettings } from './consumer-runner.js';
import { fetchPartitionRanges, type PartitionRange } from './end-offsets.js';
import { CONSUMER_RETRY, createKafka, type KafkaClient } from './kafka-client.js';
import { ReplayTracker } from './replay-tracker.js';
import { stallTickMs } from './stall-watch.js';
import type { EventSource, ReplayProgress, SourceHandlers } from './source.js';
import { requireTopics } from './topics.js';

export interface KafkaSourceOptions {
  readonly kafka: KafkaClient;
  /** input topics (lifecycle, proofs) */
  readonly topics: readonly string[];
  readonly groupId: string;
  /**
   * The group id was generated for this process (KAFKA_GROUP_ID unset): a consumer started after
   * a crash joins a fresh group `<groupId>-<n>` instead of waiting up to the session timeout for
   * the crashed member to expire from the old one (default false).
   */
  readonly renewGroupOnRestart?: boolean;
  readonly logger: Logger;
  /** bootstrap servers, for messages */
  readonly brokers: string;
  readonly fetch?: Partial<FetchSettings>;
  /** records handed to `onBatch` at once; offsets are resolved and a heartbeat sent after each */
  readonly chunkSize?: number;
  /**
   * No completed consumer request for this long makes the source probe the broker (cluster
   * metadata, `probeTimeoutMs`); a failed probe = broker unreachable (default 3000).
   */
  readonly connectionLostAfterMs?: number;
  /** default 2000 */
  readonly probeTimeoutMs?: number;
  /**
   * Client for the reachability probe; best one without retries (`createKafka(..., { retry:
   * { retries: 0 } })`) so a refused connection fails the probe at once. Default: `kafka`.
   */
  readonly probeKafka?: KafkaClient;
  /** delay before replacing a crashed consumer: initial, doubling up to max (default 500..10000) */
  readonly restartBackoffMs?: { readonly initial: number; readonly max: number };
  /** group session timeout (default 10000): how long a vanished member holds up a rejoin */
  readonly sessionTimeoutMs?: number;
  /** longest `stop()` waits for the consumer to leave (default 5000) */
  readonly stopTimeoutMs?: number;
  readonly consumerRetry?: RetryOptions;
  /**
   * Cluster metadata is refreshed at least this often (kafkajs `metadataMaxAge`, default 30000):
   * a partition added to an input topic makes the consumer rejoin its group and read it.
   */
  readonly metadataRefreshMs?: number;
  /** how often the input partitions' end offsets are listed, to see records waiting (default 5000) */
  readonly endOffsetPollMs?: number;
  /** how often a partition held at a bad record is re-read from it (default 1000) */
  readonly holdRetryMs?: number;
  readonly clock?: () => number;
  /**
   * Where to start each partition (`topic/partition` → next offset), e.g. after a snapshot's
   * positions (src/snapshot/restore.ts); partitions not named start at their earliest offset.
   */
  readonly resumeAt?: ReadonlyMap<string, bigint>;
}

/** `intent-projector-<hostname>-<pid>-<random>`: a consumer group no other process shares. */
export function defaultGroupId(): string {
  return `intent-projector-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function kafkaSourceOptionsFromConfig(
  config: Pick<
    Config,
    | 'KAFKA_TOPIC_LIFECYCLE'
    | 'KAFKA_TOPIC_PROOFS'
    | 'KAFKA_GROUP_ID'
    | 'KAFKA_BROKERS'
    | 'KAFKA_CLIENT_ID'
    | 'METADATA_REFRESH_MS'
    | 'STALL_READY_MS'
    | 'FETCH_MAX_BYTES'
    | 'FETCH_MAX_BYTES_PER_PARTITION'
  >,
  kafka: KafkaClient,
  logger: Logger,
): KafkaSourceOptions {
  return {
    kafka,
    probeKafka: createKafka(config, logger, { retry: { retries: 0 }, connectionTimeout: 1000 }),
    topics: topicList(inputTopics(config)),
    groupId: config.KAFKA_GROUP_ID ?? defaultGroupId(),
    renewGroupOnRestart: config.KAFKA_GROUP_ID === undefined,
    logger,
    brokers: (config.KAFKA_BROKERS ?? []).join(','),
    metadataRefreshMs: config.METADATA_REFRESH_MS,
    fetch: { maxBytes: config.FETCH_MAX_BYTES, maxBytesPerPartition: config.FETCH_MAX_BYTES_PER_PARTITION },
    endOffsetPollMs: stallTickMs(config.STALL_READY_MS),
  };
}

export class KafkaSource implements EventSource {
  private readonly opts: KafkaSourceOptions;
  /** the configured or generated consumer group id (after a crash, `<groupId>-<n>` when renewing) */
  readonly groupId: string;
  private readonly topics: readonly string[];
  private readonly logger: Logger;
  private handlers: SourceHandlers | null = null;
  private tracker = new ReplayTracker([]);
  private runner: ConsumerRunner | null = null;
  private batches: BatchHandler | null = null;
  private watchdog: BrokerWatchdog | null = null;
  private poller: EndOffsetPoller | null = null;
  /** the last consumer crash since records were last applied */
  private crash: Error | null = null;
  private crashCount = 0;
  /** partitions held at a record whose dead letter could not be written: topic \u0000 partition → where, why */
  private readonly held = new Map<string, { topic: string; partition: number; offset: string; cause: Error }>();
  private joined = false;
  private caughtUp = false;
  private stopping = false;
  private failed: Error | null = null;
  private stopped: Promise<void> | null = null;

  constructor(opts: KafkaSourceOptions) {
    this.opts = opts;
    this.groupId = opts.groupId;
    this.topics = [...new Set(opts.topics)];
    this.logger = opts.logger.child({ component: 'kafka-source' });
  }

  async start(handlers: SourceHandlers): Promise<void> {
    if (this.handlers !== null) throw new Error('KafkaSource.start() was called twice');
    this.handlers = handlers;
    const o = this.opts;
    const admin = o.kafka.admin();
    await admin.connect();
    try {
      await requireTopics(admin, this.topics, o.brokers);
      const ranges = await fetchPartitionRanges(admin, this.topics);
      this.tracker = new ReplayTracker(ranges.map((r) => ({ ...r, low: resumeOffset(r, o.resumeAt) })));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const p = this.tracker.progress(false);
    this.logger.info(
      { groupId: o.groupId, topics: this.topics, partitions: p.partitions.length, recordsToReplay: p.recordsToReplay },
      o.resumeAt === undefined ? 'replaying from the earliest retained offsets' : 'reading on from the snapshot positions',
    );
    const watchdog = new BrokerWatchdog({
      probeKafka: o.probeKafka ?? o.kafka,
      connectionLostAfterMs: o.connectionLostAfterMs ?? 3000,
      probeTimeoutMs: o.probeTimeoutMs ?? 2000,
      clock: o.clock ?? Date.now,
      onChange: (connected) => {
        if (!this.halted()) this.handlers?.onConnectionChange?.(connected);
      },
    });
    const fetch = { ...DEFAULT_FETCH, ...o.fetch };
    const batches = new BatchHandler({
      tracker: this.tracker,
      chunkSize: o.chunkSize ?? 1000,
      // one partition's fetch may wait while another is applied (more would hold more fetched batches in memory)
      maxQueuedBytes: fetch.maxBytesPerPartition,
      onBatch: (batch) => handlers.onBatch(batch),
      onProgress: () => {
        this.crash = null;
        this.checkCaughtUp();
      },
      onFatal: (cause, topic, partition, offset) => this.fail(cause, topic, partition, offset),
      onHeld: (cause, topic, partition, offset) => {
        if (!this.held.has(`${topic}\u0000${partition}`)) {
          this.logger.warn(
            { topic, partition, offset, err: cause.message },
            'partition waits at a record whose dead letter cannot be written yet',
          );
        }
        this.held.set(`${topic}\u0000${partition}`, { topic, partition, offset, cause });
      },
      seek: (topic, partition, offset) => runner.seek(topic, partition, offset),
      ...(o.holdRetryMs !== undefined ? { holdRetryMs: o.holdRetryMs } : {}),
    });
    const runner = new ConsumerRunner({
      kafka: o.kafka,
      topics: this.topics,
      groupId: o.groupId,
      renewGroupOnRestart: o.renewGroupOnRestart ?? false,
      fetch,
      sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
      stopTimeoutMs: o.stopTimeoutMs ?? 5000,
      retry: o.consumerRetry ?? CONSUMER_RETRY,
      metadataRefreshMs: o.metadataRefreshMs ?? 30_000,
      backoff: o.restartBackoffMs ?? { initial: 500, max: 10_000 },
      tracker: this.tracker,
      logger: this.logger,
      onLaunch: () => watchdog.restartClock(),
      onContact: () => watchdog.contact(),
      onCrash: (error) => {
        this.crash = error;
        this.crashCount++;
        watchdog.suspect();
      },
      onJoin: () => {
        watchdog.contact();
        if (!this.joined) {
          this.joined = true;
          queueMicrotask(() => this.checkCaughtUp());
        }
      },
      eachBatch: (payload, current) => batches.handle(payload, () => current() && !this.halted()),
      onSkippedBatch: (topic, partition, lastOffset, current) =>
        batches.skipped(topic, partition, lastOffset, () => current() && !this.halted()),
    });
    const poller = new EndOffsetPoller({
      kafka: o.kafka,
      topics: this.topics,
      intervalMs: o.endOffsetPollMs ?? 5000,
      onOffsets: (topic, partition, high) => this.tracker.observeHigh(topic, partition, high),
    });
    this.watchdog = watchdog;
    this.batches = batches;
    this.runner = runner;
    this.poller = poller;
    await runner.start();
    if (!this.halted()) {
      watchdog.start();
      poller.start();
    }
  }

  /** What keeps records from being applied, if anything is known: a held partition, a crashing consumer. */
  problem(): string | null {
    for (const [key, h] of this.held) {
      const position = this.tracker.position(h.topic, h.partition);
      if (position !== undefined && position > BigInt(h.offset)) this.held.delete(key);
    }
    const first = this.held.values().next();
    if (!first.done) return first.value.cause.message;
    if (this.crash !== null) return `the Kafka consumer keeps failing: ${this.crash.name}: ${this.crash.message}`;
    return null;
  }

  progress(): ReplayProgress {
    return this.tracker.progress(this.caughtUp);
  }

  crashes(): number {
    return this.crashCount;
  }

  /** Stops consuming and leaves the group, within `stopTimeoutMs`. Idempotent. */
  stop(): Promise<void> {
    return (this.stopped ??= (async () => {
      this.stopping = true;
      this.watchdog?.halt();
      await this.runner?.stop('stop');
      await this.batches?.idle(); // no batch is applied after stop() resolved
      await this.poller?.stop();
      await this.watchdog?.close();
    })());
  }

  private halted(): boolean {
    return this.stopping || this.failed !== null;
  }

  private checkCaughtUp(): void {
    if (this.caughtUp || !this.joined || this.halted() || !this.tracker.reachedTargets) return;
    this.caughtUp = true;
    const p = this.tracker.progress(true);
    this.logger.info({ recordsRead: p.recordsRead, partitions: p.partitions.length }, 'every partition reached its start end offset');
    this.handlers?.onCaughtUp();
  }

  private fail(cause: Error, topic: string, partition: number, offset: string): void {
    if (this.failed !== null) return;
    const error = new Error(`ingestion stopped at ${topic}/${partition} offset ${offset}: ${cause.message}`, { cause });
    this.failed = error;
    this.watchdog?.halt();
    this.runner?.halt();
    void this.poller?.stop();
    this.handlers?.onFatal?.(error);
    // Not awaited here: disconnect() waits for this very batch to return.
    setImmediate(() => void this.runner?.stop('fatal'));
  }
}

/** The first offset to read of a partition: its resume offset when given (never below the log start). */
function resumeOffset(r: PartitionRange, resumeAt: ReadonlyMap<string, bigint> | undefined): bigint {
  const at = resumeAt?.get(`${r.topic}/${r.partition}`);
  return at === undefined || at < r.low ? r.low : at;
}
