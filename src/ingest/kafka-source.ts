/**
 * The kafkajs implementation of the `EventSource` port (contract.md sections 2 and 5,
 * docs/ingestion.md).
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
 * - A rejected `onBatch` (e.g. the DLQ cannot be written) is fatal: the offset is not passed,
 *   `onFatal` is called and consumption stops.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Admin, Batch, Consumer, EachBatchPayload, KafkaMessage, RetryOptions } from 'kafkajs';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { fetchPartitionRanges, requireTopics } from './end-offsets.js';
import { CONSUMER_RETRY, createKafka, type KafkaClient } from './kafka-client.js';
import { DeadLetterWriteError } from './kafka-dlq.js';
import { ReplayTracker } from './replay-tracker.js';
import type { EventSource, ReplayProgress, SourceHandlers, SourceRecord } from './source.js';

/** Fetch settings (kafkajs consumer options), see docs/ingestion.md "Fetch settings". */
export interface FetchSettings {
  /** most bytes one fetch returns per partition */
  readonly maxBytesPerPartition: number;
  /** most bytes one fetch returns in total */
  readonly maxBytes: number;
  /** the broker answers as soon as this many bytes are available */
  readonly minBytes: number;
  /** ...or after this long when there are fewer (the idle poll period) */
  readonly maxWaitTimeInMs: number;
}

export const DEFAULT_FETCH: Readonly<FetchSettings> = {
  maxBytesPerPartition: 4 * 1024 * 1024,
  maxBytes: 32 * 1024 * 1024,
  minBytes: 1,
  maxWaitTimeInMs: 500,
};

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
  readonly clock?: () => number;
}

/** `intent-projector-<hostname>-<pid>-<random>`: a consumer group no other process shares. */
export function defaultGroupId(): string {
  return `intent-projector-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function kafkaSourceOptionsFromConfig(
  config: Pick<Config, 'KAFKA_TOPIC_LIFECYCLE' | 'KAFKA_TOPIC_PROOFS' | 'KAFKA_GROUP_ID' | 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
  kafka: KafkaClient,
  logger: Logger,
): KafkaSourceOptions {
  return {
    kafka,
    probeKafka: createKafka(config, logger, { retry: { retries: 0 }, connectionTimeout: 1000 }),
    topics: [config.KAFKA_TOPIC_LIFECYCLE, config.KAFKA_TOPIC_PROOFS],
    groupId: config.KAFKA_GROUP_ID ?? defaultGroupId(),
    renewGroupOnRestart: config.KAFKA_GROUP_ID === undefined,
    logger,
    brokers: (config.KAFKA_BROKERS ?? []).join(','),
  };
}

export function toSourceRecord(topic: string, partition: number, m: KafkaMessage): SourceRecord {
  return { topic, partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null, headers: m.headers ?? {} };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms}ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const errorOf = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

export class KafkaSource implements EventSource {
  private readonly kafka: KafkaClient;
  private readonly probeKafka: KafkaClient;
  private readonly topics: readonly string[];
  /** the configured/generated group id; see `currentGroupId` */
  readonly groupId: string;
  private readonly renewGroupOnRestart: boolean;
  private readonly logger: Logger;
  private readonly fetch: FetchSettings;
  private readonly chunkSize: number;
  private readonly connectionLostAfterMs: number;
  private readonly probeTimeoutMs: number;
  private readonly backoff: { readonly initial: number; readonly max: number };
  private readonly sessionTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly consumerRetry: RetryOptions;
  private readonly clock: () => number;
  private readonly brokers: string;

  private handlers: SourceHandlers | null = null;
  private tracker = new ReplayTracker([]);
  /** the live consumer; batches and events of any other (older) consumer are ignored */
  private consumer: Consumer | null = null;
  private joined = false;
  private caughtUp = false;
  private stopping = false;
  private failed: Error | null = null;
  private connected = true;
  private lastContact = 0;
  private probe: { admin: Admin; connected: boolean } | null = null;
  private probing = false;
  private launches = 0;
  private group = '';
  private crashes = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopped: Promise<void> | null = null;

  constructor(opts: KafkaSourceOptions) {
    this.kafka = opts.kafka;
    this.probeKafka = opts.probeKafka ?? opts.kafka;
    this.topics = [...new Set(opts.topics)];
    this.groupId = opts.groupId;
    this.renewGroupOnRestart = opts.renewGroupOnRestart ?? false;
    this.logger = opts.logger.child({ component: 'kafka-source' });
    this.fetch = { ...DEFAULT_FETCH, ...opts.fetch };
    this.chunkSize = opts.chunkSize ?? 1000;
    this.connectionLostAfterMs = opts.connectionLostAfterMs ?? 3000;
    this.probeTimeoutMs = opts.probeTimeoutMs ?? 2000;
    this.backoff = opts.restartBackoffMs ?? { initial: 500, max: 10_000 };
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 10_000;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 5000;
    this.consumerRetry = opts.consumerRetry ?? CONSUMER_RETRY;
    this.clock = opts.clock ?? Date.now;
    this.brokers = opts.brokers;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    if (this.handlers !== null) throw new Error('KafkaSource.start() was called twice');
    this.handlers = handlers;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await requireTopics(admin, this.topics, this.brokers);
      this.tracker = new ReplayTracker(await fetchPartitionRanges(admin, this.topics));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const p = this.tracker.progress(false);
    this.logger.info(
      { groupId: this.groupId, topics: this.topics, partitions: p.partitions.length, recordsToReplay: p.recordsToReplay },
      'replaying from the earliest retained offsets',
    );
    this.lastContact = this.clock();
    await this.launch();
    const tick = Math.max(50, Math.min(500, Math.floor(this.connectionLostAfterMs / 3)));
    this.watchdog = setInterval(() => this.checkContact(), tick);
    this.watchdog.unref();
  }

  /** The consumer group in use: `groupId`, or `groupId-<n>` after n crashes when renewing. */
  get currentGroupId(): string {
    return this.group || this.groupId;
  }

  progress(): ReplayProgress {
    return this.tracker.progress(this.caughtUp);
  }

  /** Stops consuming and leaves the group, within `stopTimeoutMs`. Idempotent. */
  stop(): Promise<void> {
    return (this.stopped ??= (async () => {
      this.stopping = true;
      this.clearTimers();
      await this.dropConsumer('stop');
      const probe = this.probe;
      this.probe = null;
      if (probe !== null) await probe.admin.disconnect().catch(() => undefined);
    })());
  }

  // ------------------------------------------------------------------------------------------
  // consumer lifecycle

  private halted(): boolean {
    return this.stopping || this.failed !== null;
  }

  private clearTimers(): void {
    if (this.watchdog !== null) clearInterval(this.watchdog);
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.watchdog = null;
    this.restartTimer = null;
  }

  private async dropConsumer(why: string): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer === null) return;
    try {
      await withTimeout(consumer.disconnect(), this.stopTimeoutMs, 'disconnecting the Kafka consumer');
    } catch (err) {
      this.logger.warn({ err: errorOf(err).message, why }, 'Kafka consumer did not disconnect cleanly');
    }
  }

  /** Creates, connects and runs a consumer positioned on the tracker's positions. */
  private async launch(): Promise<void> {
    this.group = this.launches > 0 && this.renewGroupOnRestart ? `${this.groupId}-${this.launches}` : this.groupId;
    this.launches++;
    const consumer = this.kafka.consumer({
      groupId: this.group,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: this.fetch.maxBytesPerPartition,
      maxBytes: this.fetch.maxBytes,
      minBytes: this.fetch.minBytes,
      maxWaitTimeInMs: this.fetch.maxWaitTimeInMs,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.sessionTimeoutMs / 3)),
      rebalanceTimeout: this.sessionTimeoutMs * 3,
      // kafkajs must not restart a crashed consumer itself: this source replaces it (onCrash).
      retry: { ...this.consumerRetry, restartOnFailure: async () => false },
    });
    const { GROUP_JOIN, CRASH, REQUEST, END_BATCH_PROCESS } = consumer.events;
    consumer.on(GROUP_JOIN, (e) => this.onJoin(consumer, e.payload.memberAssignment));
    consumer.on(REQUEST, () => {
      if (consumer === this.consumer) this.onContact();
    });
    consumer.on(CRASH, (e) => this.onCrash(consumer, e.payload.error, e.payload.restart));
    consumer.on(END_BATCH_PROCESS, (e) => {
      // Batches of only control records / aborted transactions never reach eachBatch; kafkajs
      // resolves them itself, and the position must follow or catch-up would never be reached.
      if (consumer !== this.consumer || e.payload.batchSize !== 0) return;
      this.tracker.advance(e.payload.topic, e.payload.partition, BigInt(e.payload.lastOffset) + 1n, 0);
      this.checkCaughtUp();
    });

    this.consumer = consumer;
    this.lastContact = this.clock();
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
      if (this.consumer !== consumer || this.halted()) throw new Error('source stopped while the consumer was starting');
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.eachBatch(consumer, payload),
      });
    } catch (err) {
      if (this.consumer === consumer) this.consumer = null;
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /** Positions every assigned partition on the next offset this process has to apply. */
  private onJoin(consumer: Consumer, assignment: Record<string, number[]>): void {
    if (consumer !== this.consumer) return;
    this.onContact();
    this.crashes = 0;
    let assigned = 0;
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        let position = this.tracker.position(topic, partition);
        if (position === undefined) {
          position = this.tracker.ensure(topic, partition);
          this.logger.info({ topic, partition }, 'new partition appeared; reading it from its earliest offset');
        }
        consumer.seek({ topic, partition, offset: position.toString() });
        assigned++;
      }
    }
    if (assigned < this.tracker.partitionCount) {
      this.logger.error(
        { groupId: this.group, assigned, partitions: this.tracker.partitionCount },
        'this node was assigned only some partitions: another process uses the same consumer group. ' +
          'Every node must have its own group (leave KAFKA_GROUP_ID unset, or give each node a different one)',
      );
    }
    if (!this.joined) {
      this.joined = true;
      queueMicrotask(() => this.checkCaughtUp());
    }
  }

  private onCrash(consumer: Consumer, error: Error, kafkajsRestarts: boolean): void {
    if (consumer !== this.consumer || this.halted()) return;
    this.lastContact = 0; // the watchdog probes the broker at its next tick
    if (kafkajsRestarts) return; // not configured that way; kafkajs would rejoin and onJoin re-seeks
    this.consumer = null;
    this.scheduleRestart(error);
  }

  private scheduleRestart(error: Error): void {
    if (this.halted()) return;
    const delay = Math.min(this.backoff.max, this.backoff.initial * 2 ** Math.min(this.crashes, 20));
    this.crashes++;
    this.logger.warn(
      { err: error.message, errorName: error.name, attempt: this.crashes, restartInMs: delay },
      'Kafka consumer gave up after retries; starting a new one from the last applied offsets',
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.halted()) return;
      this.launch().catch((err: unknown) => {
        this.lastContact = 0;
        this.scheduleRestart(errorOf(err));
      });
    }, delay);
    this.restartTimer.unref();
  }

  // ------------------------------------------------------------------------------------------
  // batches

  private async eachBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    const handlers = this.handlers;
    if (handlers === null || consumer !== this.consumer || this.halted()) return;
    this.tracker.observeHigh(topic, partition, BigInt(batch.highWatermark));
    const from = this.tracker.position(topic, partition) ?? this.tracker.ensure(topic, partition);
    const batchEnd = BigInt(batch.lastOffset()) + 1n;
    const messages = pending(batch, from);
    if (messages.length === 0) {
      // all already applied in this process (re-fetched after a rejoin): just move on
      resolveOffset(batch.lastOffset());
      this.tracker.advance(topic, partition, batchEnd, 0);
      this.checkCaughtUp();
      return;
    }
    for (let i = 0; i < messages.length; i += this.chunkSize) {
      if (!isRunning() || isStale() || consumer !== this.consumer || this.halted()) return;
      const chunk = messages.slice(i, i + this.chunkSize);
      const last = chunk[chunk.length - 1]!.offset;
      try {
        await handlers.onBatch({ topic, partition, records: chunk.map((m) => toSourceRecord(topic, partition, m)) });
      } catch (err) {
        // A dead letter that could not be written names its record: the ones before it were applied.
        const stuck =
          err instanceof DeadLetterWriteError && err.record.topic === topic && err.record.partition === partition
            ? err.record.offset
            : chunk[0]!.offset;
        const applied = chunk.filter((m) => BigInt(m.offset) < BigInt(stuck));
        if (applied.length > 0) {
          resolveOffset(applied[applied.length - 1]!.offset);
          this.tracker.advance(topic, partition, BigInt(stuck), applied.length);
        }
        this.fail(errorOf(err), topic, partition, stuck);
        return;
      }
      resolveOffset(last);
      const isLast = i + this.chunkSize >= messages.length;
      this.tracker.advance(topic, partition, isLast ? batchEnd : BigInt(last) + 1n, chunk.length);
      this.checkCaughtUp();
      await heartbeat();
    }
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
    this.clearTimers();
    this.handlers?.onFatal?.(error);
    // Not awaited here: disconnect() waits for this very batch to return.
    setImmediate(() => void this.dropConsumer('fatal'));
  }

  // ------------------------------------------------------------------------------------------
  // broker reachability

  private onContact(): void {
    this.lastContact = this.clock();
    if (!this.connected && !this.halted()) {
      this.connected = true;
      this.handlers?.onConnectionChange?.(true);
    }
  }

  private reportDown(): void {
    if (!this.connected || this.halted()) return;
    this.connected = false;
    this.handlers?.onConnectionChange?.(false);
  }

  /**
   * Consumer requests complete at least every fetch wait (`maxWaitTimeInMs`) while the broker
   * answers. When none has for `connectionLostAfterMs` (or the consumer crashed), ask the broker
   * directly: a consumer can also be quiet while the broker is fine (a JoinGroup waiting for the
   * group to settle). Reachable = the probe answered; while unreachable, probe every tick.
   */
  private checkContact(): void {
    if (this.halted() || this.probing) return;
    if (this.connected && this.clock() - this.lastContact <= this.connectionLostAfterMs) return;
    this.probing = true;
    void this.probeBroker()
      .then((ok) => {
        if (this.halted()) return;
        if (ok) this.onContact();
        else this.reportDown();
      })
      .finally(() => (this.probing = false));
  }

  private async probeBroker(): Promise<boolean> {
    this.probe ??= { admin: this.probeKafka.admin({ retry: { retries: 0 } }), connected: false };
    const probe = this.probe;
    try {
      await withTimeout(
        (async () => {
          if (!probe.connected) {
            await probe.admin.connect();
            probe.connected = true;
          }
          await probe.admin.describeCluster();
        })(),
        this.probeTimeoutMs,
        'probing the Kafka broker',
      );
      if (this.stopping) {
        // stop() ran meanwhile and did not see this client
        if (this.probe === probe) this.probe = null;
        await probe.admin.disconnect().catch(() => undefined);
      }
      return true;
    } catch {
      // start over with a fresh client next time
      if (this.probe === probe) this.probe = null;
      await probe.admin.disconnect().catch(() => undefined);
      return false;
    }
  }
}

/** The batch's messages at or after `from` (those before were applied by this process already). */
function pending(batch: Batch, from: bigint): KafkaMessage[] {
  const first = batch.messages[0];
  if (first === undefined || BigInt(first.offset) >= from) return batch.messages;
  return batch.messages.filter((m) => BigInt(m.offset) >= from);
}
