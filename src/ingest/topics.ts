/**
 * Topics: the start-up check that the input and dead-letter topics exist (the service never creates
 * them, docs/ingestion.md "Topics"), and topic creation for the tools that do create them (the
 * `simulate` command, the tests, the benchmarks).
 *
 * Why creation waits itself instead of `createTopics({ waitForLeaders: true })`: in KRaft the
 * controller answers CreateTopics once the new topic's records are committed to the metadata log,
 * but each broker applies that log to the metadata cache it answers Metadata and ListOffsets from
 * asynchronously. Until it has, the broker answers UNKNOWN_TOPIC_OR_PARTITION ("This server does
 * not host this topic-partition"). kafkajs's `waitForLeaders` retries only LEADER_NOT_AVAILABLE and
 * gives up on that error; on a just-started broker or a loaded machine the lag is long enough for
 * it to happen. So: create, then wait until the metadata shows a leader for every partition and a
 * ListOffsets on each topic succeeds, retrying retriable errors until a deadline.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import { MissingTopicError } from '../errors.js';
import { isRetriable } from './kafka-util.js';

/** Throws MissingTopicError naming every topic of `names` the cluster does not have. */
export async function requireTopics(admin: Admin, names: readonly string[], brokers: string): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = names.filter((n) => !existing.has(n));
  if (missing.length > 0) throw new MissingTopicError(missing, brokers);
}

export interface CreateTopicsOptions {
  /** longest the creation and the wait for it to be usable may take (default 30000 ms) */
  readonly timeoutMs?: number;
}

/** Not usable yet: retried like kafkajs's retriable errors. */
class NotReadyYet extends Error {
  readonly retriable = true;
}

/**
 * Creates `topics` (those that exist already are left as they are) and resolves once every
 * partition of each has a leader and answers ListOffsets: a producer or consumer can use them at once.
 */
export async function createTopics(admin: Admin, topics: readonly ITopicConfig[], opts: CreateTopicsOptions = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const names = topics.map((t) => t.topic);
  await untilDone(deadline, () => admin.createTopics({ waitForLeaders: false, topics: [...topics] }));
  await untilDone(deadline, async () => {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: names });
    for (const name of names) {
      const partitions = metadata.find((t) => t.name === name)?.partitions ?? [];
      const leaderless = partitions.filter((p) => p.leader < 0).map((p) => p.partitionId);
      if (partitions.length === 0 || leaderless.length > 0) {
        throw new NotReadyYet(`topic "${name}" has no leader yet for partitions [${leaderless.join(', ') || 'all'}]`);
      }
    }
    for (const name of names) await admin.fetchTopicOffsets(name);
  });
}

/** Runs `step` until it resolves; a retriable failure is retried (100 ms doubling to 1 s) until `deadline`. */
async function untilDone(deadline: number, step: () => Promise<unknown>): Promise<void> {
  for (let delay = 100; ; delay = Math.min(1000, delay * 2)) {
    try {
      await step();
      return;
    } catch (err) {
      const cause = (err as { originalError?: unknown } | null)?.originalError;
      if (!(isRetriable(err) || isRetriable(cause)) || Date.now() + delay > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
