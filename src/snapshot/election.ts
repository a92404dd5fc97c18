/**
 * One snapshot writer per fleet: every node joins one consumer group on the snapshot topic
 * (`<topic>.writer`); the group coordinator assigns the topic's partition 0 to exactly one live
 * member, and that member writes. When it leaves (clean stop: at once) or dies (after the session
 * timeout), the coordinator rebalances and another member is assigned partition 0: take-over
 * without anything of our own to expire or renew.
 *
 * Why this and not a separate coordination topic or a lease record: the group protocol already
 * gives liveness (heartbeats), exactly-one assignment and fencing by generation, it needs no extra
 * topic for the operator to create, and the member reads nothing (the partition is paused at once).
 * A writer that lost leadership without noticing (a long pause) can write one more snapshot beside
 * the new writer's; snapshots are self-contained and told apart by id (records.ts), so two at once
 * cost bytes, never correctness.
 */
import type { Consumer } from 'kafkajs';
import type { KafkaClient } from '../ingest/kafka-client.js';
import type { Logger } from '../log.js';
import { SNAPSHOT_PARTITION } from './records.js';

export interface ElectionOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly logger: Logger;
  /** how long a dead writer holds leadership (group session timeout, default 10000 ms) */
  readonly sessionTimeoutMs?: number;
  readonly onChange?: (leader: boolean) => void;
}

export const writerGroupOf = (topic: string): string => `${topic}.writer`;

export class WriterElection {
  private consumer: Consumer | null = null;
  private leading = false;
  private stopped = false;

  constructor(private readonly opts: ElectionOptions) {}

  get isLeader(): boolean {
    return this.leading && !this.stopped;
  }

  private set(leader: boolean): void {
    if (leader === this.leading) return;
    this.leading = leader;
    this.opts.logger.info(
      { topic: this.opts.topic, group: writerGroupOf(this.opts.topic) },
      leader ? 'snapshot writer: this node writes the snapshots' : 'snapshot writer: another node writes the snapshots',
    );
    this.opts.onChange?.(leader);
  }

  /** Joins the group; resolves once the consumer runs (leadership follows with the first assignment). */
  async start(): Promise<void> {
    const session = this.opts.sessionTimeoutMs ?? 10_000;
    const consumer = this.opts.kafka.consumer({
      groupId: writerGroupOf(this.opts.topic),
      allowAutoTopicCreation: false,
      sessionTimeout: session,
      heartbeatInterval: Math.max(300, Math.floor(session / 5)),
      rebalanceTimeout: session * 3,
      maxWaitTimeInMs: 1000,
    });
    this.consumer = consumer;
    const { GROUP_JOIN, REBALANCING, CRASH, STOP } = consumer.events;
    consumer.on(GROUP_JOIN, (e) => {
      const mine = e.payload.memberAssignment[this.opts.topic] ?? [];
      this.set(mine.includes(SNAPSHOT_PARTITION));
      if (mine.length > 0) consumer.pause([{ topic: this.opts.topic }]);
    });
    consumer.on(REBALANCING, () => this.set(false));
    consumer.on(CRASH, () => this.set(false));
    consumer.on(STOP, () => this.set(false));
    await consumer.connect();
    await consumer.subscribe({ topics: [this.opts.topic], fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
  }

  /** Leaves the group, so another node takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.set(false);
    const c = this.consumer;
    this.consumer = null;
    if (c !== null) await c.disconnect().catch(() => undefined);
  }
}
