/**
 * The consumer lifecycle of the Kafka source (docs/ingestion.md "Faults"): creates and runs a
 * kafkajs consumer, positions every assigned partition on the tracker's positions each time the
 * consumer (re)joins its group, and replaces a consumer kafkajs gave up on by a new one after a
 * capped backoff, for as long as it is not halted. With a generated group id the new consumer joins
 * a fresh group `<groupId>-<n>`, so it need not wait for the dead member's session to expire.
 * Batches and events of any consumer but the live one are ignored.
 */
import type { Consumer, EachBatchPayload, RetryOptions } from 'kafkajs';
import { DEFAULT_FETCH_MAX_BYTES, DEFAULT_FETCH_MAX_BYTES_PER_PARTITION } from '../config.js';
import type { Logger } from '../log.js';
import type { KafkaClient } from './kafka-client.js';
import { errorOf, withTimeout } from './kafka-util.js';
import type { ReplayTracker } from './replay-tracker.js';

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

/**
 * kafkajs decodes a whole fetch response before handing any of it over, in one stretch of the
 * event loop: `maxBytes` bounds that stretch (4 MiB: under 110 ms on the bench machine, so
 * `/healthz` answers within 250 ms during a replay; 8 MiB blocked for up to 250 ms on a slow minute
 * of the VM and 32 MiB for over 300 ms, neither replaying faster; docs/ingestion.md "Batches and
 * fetch settings"). `FETCH_MAX_BYTES` / `FETCH_MAX_BYTES_PER_PARTITION` (src/config.ts).
 */
export const DEFAULT_FETCH: Readonly<FetchSettings> = {
  maxBytesPerPartition: DEFAULT_FETCH_MAX_BYTES_PER_PARTITION,
  maxBytes: DEFAULT_FETCH_MAX_BYTES,
  minBytes: 1,
  maxWaitTimeInMs: 500,
};

export interface ConsumerRunnerOptions {
  readonly kafka: KafkaClient;
  readonly topics: readonly string[];
  readonly groupId: string;
  /** after a crash, join `<groupId>-<n>` instead of `groupId` */
  readonly renewGroupOnRestart: boolean;
  readonly fetch: FetchSettings;
  readonly sessionTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly retry: RetryOptions;
  /** kafkajs `metadataMaxAge`: new partitions are seen (and the group rejoined) within this long */
  readonly metadataRefreshMs: number;
  readonly backoff: { readonly initial: number; readonly max: number };
  readonly tracker: ReplayTracker;
  readonly logger: Logger;
  /** a request of the live consumer completed */
  readonly onContact: () => void;
  /** a consumer is about to connect (its requests have not had time to complete yet) */
  readonly onLaunch: () => void;
  /** the live consumer crashed (or a new one failed to start): the broker may be gone */
  readonly onCrash: (error: Error) => void;
  /** the live consumer joined its group and was positioned (the first time, catch-up may be reached) */
  readonly onJoin: () => void;
  readonly eachBatch: (payload: EachBatchPayload, current: () => boolean) => Promise<void>;
  /** a batch of only control records was resolved by kafkajs */
  readonly onSkippedBatch: (topic: string, partition: number, lastOffset: string, current: () => boolean) => void;
}

export class ConsumerRunner {
  private consumer: Consumer | null = null;
  private halted = false;
  private launches = 0;
  private group = '';
  private crashes = 0;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: ConsumerRunnerOptions) {}

  /** Connects and runs the first consumer; rejects if that fails. */
  start(): Promise<void> {
    return this.launch();
  }

  /** No more batches, restarts or events; the live consumer is left to `stop()`. */
  halt(): void {
    this.halted = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  /** `halt()`, then disconnects the live consumer (leaves the group) within `stopTimeoutMs`. */
  async stop(why: string): Promise<void> {
    this.halt();
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer === null) return;
    try {
      await withTimeout(consumer.disconnect(), this.opts.stopTimeoutMs, 'disconnecting the Kafka consumer');
    } catch (err) {
      this.opts.logger.warn({ err: errorOf(err).message, why }, 'Kafka consumer did not disconnect cleanly');
    }
  }

  /** Positions the live consumer's `topic`/`partition` on `offset` (nothing if none is live). */
  seek(topic: string, partition: number, offset: string): void {
    if (this.consumer !== null && !this.halted) this.consumer.seek({ topic, partition, offset });
  }

  private isLive(consumer: Consumer): boolean {
    return consumer === this.consumer && !this.halted;
  }

  /** Creates, connects and runs a consumer positioned on the tracker's positions. */
  private async launch(): Promise<void> {
    const o = this.opts;
    this.group = this.launches > 0 && o.renewGroupOnRestart ? `${o.groupId}-${this.launches}` : o.groupId;
    this.launches++;
    const consumer = o.kafka.consumer({
      groupId: this.group,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: o.fetch.maxBytesPerPartition,
      maxBytes: o.fetch.maxBytes,
      minBytes: o.fetch.minBytes,
      maxWaitTimeInMs: o.fetch.maxWaitTimeInMs,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(o.sessionTimeoutMs / 3)),
      rebalanceTimeout: o.sessionTimeoutMs * 3,
      metadataMaxAge: o.metadataRefreshMs,
      // kafkajs must not restart a crashed consumer itself: this runner replaces it (onCrash).
      retry: { ...o.retry, restartOnFailure: async () => false },
    });
    const { GROUP_JOIN, CRASH, REQUEST, END_BATCH_PROCESS } = consumer.events;
    consumer.on(GROUP_JOIN, (e) => this.onJoin(consumer, e.payload.memberAssignment));
    consumer.on(REQUEST, () => {
      if (consumer === this.consumer) o.onContact();
    });
    consumer.on(CRASH, (e) => this.onCrash(consumer, e.payload.error, e.payload.restart));
    consumer.on(END_BATCH_PROCESS, (e) => {
      if (this.isLive(consumer) && e.payload.batchSize === 0)
        o.onSkippedBatch(e.payload.topic, e.payload.partition, e.payload.lastOffset, () => this.isLive(consumer));
    });

    this.consumer = consumer;
    o.onLaunch();
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...o.topics], fromBeginning: true });
      if (!this.isLive(consumer)) throw new Error('source stopped while the consumer was starting');
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => o.eachBatch(payload, () => this.isLive(consumer)),
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
    const { tracker, logger } = this.opts;
    this.opts.onContact();
    this.crashes = 0;
    let assigned = 0;
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        let position = tracker.position(topic, partition);
        if (position === undefined) {
          position = tracker.ensure(topic, partition);
          logger.info({ topic, partition }, 'new partition appeared; reading it from its earliest offset');
        }
        consumer.seek({ topic, partition, offset: position.toString() });
        assigned++;
      }
    }
    if (assigned < tracker.partitionCount) {
      logger.error(
        { groupId: this.group, assigned, partitions: tracker.partitionCount },
        'this node was assigned only some partitions: another process uses the same consumer group. ' +
          'Every node must have its own group (leave KAFKA_GROUP_ID unset, or give each node a different one)',
      );
    }
    this.opts.onJoin();
  }

  private onCrash(consumer: Consumer, error: Error, kafkajsRestarts: boolean): void {
    if (!this.isLive(consumer)) return;
    this.opts.onCrash(error);
    if (kafkajsRestarts) return; // not configured that way; kafkajs would rejoin and onJoin re-seeks
    this.consumer = null;
    this.scheduleRestart(error);
  }

  private scheduleRestart(error: Error): void {
    if (this.halted) return;
    const { backoff, logger } = this.opts;
    const delay = Math.min(backoff.max, backoff.initial * 2 ** Math.min(this.crashes, 20));
    this.crashes++;
    logger.warn(
      { err: error.message, errorName: error.name, attempt: this.crashes, restartInMs: delay },
      'Kafka consumer gave up after retries; starting a new one from the last applied offsets',
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.halted) return;
      this.launch().catch((err: unknown) => {
        this.opts.onCrash(errorOf(err));
        this.scheduleRestart(errorOf(err));
      });
    }, delay);
    this.restartTimer.unref();
  }
}
