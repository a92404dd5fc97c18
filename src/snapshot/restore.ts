/**
 * How a node starts (docs/snapshots.md): from the newest usable snapshot, or by full replay.
 * `planRestore` reads today's offsets of the input topics and the snapshot topic, and returns the
 * store to fold on, where each input partition resumes, and what to report. Without the snapshot
 * topic it warns once, naming it, and plans a full replay. A snapshot topic that cannot be read
 * (broker error, timeout) is also a full replay, with the error logged: a snapshot only saves time.
 */
import { type Config, inputTopics } from '../config.js';
import { fetchPartitionRanges, type PartitionRange } from '../ingest/end-offsets.js';
import { requireTopics } from '../ingest/topics.js';
import type { KafkaClient } from '../ingest/kafka-client.js';
import type { Logger } from '../log.js';
import { markPhase } from '../phases.js';
import { ProjectionStore } from '../reduce/store.js';
import { REDUCER_VERSION } from '../reduce/version.js';
import type { Metrics } from '../transport/metrics.js';
import type { PartitionPosition, SnapshotHeader } from './envelope.js';
import { partitionKey } from './loader.js';
import { findNewest } from './newest.js';

/** What `/readyz` and the start-up log line say about how this node started. */
export interface RestoreReport {
  readonly from: 'snapshot' | 'replay';
  /** live projections once caught up */
  readonly intents: number;
  /** records read after the snapshot's positions (all records on a full replay) */
  readonly recordsReplayed: number;
  /** from the start of the restore until caught up */
  readonly seconds: number;
}

export interface RestorePlan {
  readonly from: 'snapshot' | 'replay';
  readonly store: ProjectionStore;
  /** the next offset to read per input partition (`topic/partition`) */
  readonly resumeAt: ReadonlyMap<string, bigint>;
  /** the same as positions, for the consistent cut */
  readonly start: readonly PartitionPosition[];
  readonly snapshot: SnapshotHeader | null;
  /** seconds spent reading and decoding the snapshot topic */
  readonly loadSeconds: number;
  /** the snapshot topic exists (snapshots can be written) */
  readonly topicExists: boolean;
}

export type RestoreConfig = Pick<
  Config,
  | 'KAFKA_BROKERS'
  | 'KAFKA_TOPIC_LIFECYCLE'
  | 'KAFKA_TOPIC_PROOFS'
  | 'KAFKA_TOPIC_SNAPSHOTS'
  | 'TOMBSTONE_RETENTION_MS'
  | 'MAX_CLOCK_SKEW_MS'
>;

export interface RestoreOptions {
  readonly kafka: KafkaClient;
  readonly config: RestoreConfig;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly clock?: () => number;
  /** ignore snapshots (a full replay) */
  readonly fromScratch?: boolean;
}

function startOf(
  ranges: readonly PartitionRange[],
  at: (r: PartitionRange) => bigint,
): { resumeAt: Map<string, bigint>; start: PartitionPosition[] } {
  const resumeAt = new Map<string, bigint>();
  const start: PartitionPosition[] = [];
  for (const r of ranges) {
    const offset = at(r);
    resumeAt.set(partitionKey(r.topic, r.partition), offset);
    start.push({ topic: r.topic, partition: r.partition, offset: offset.toString() });
  }
  return { resumeAt, start };
}

export async function planRestore(opts: RestoreOptions): Promise<RestorePlan> {
  const { kafka, config, logger } = opts;
  const clock = opts.clock ?? Date.now;
  const began = clock();
  const topics = inputTopics(config);
  const storeOptions = { tombstoneRetentionMs: config.TOMBSTONE_RETENTION_MS, maxClockSkewMs: config.MAX_CLOCK_SKEW_MS };
  const admin = kafka.admin();
  await admin.connect();
  let ranges: PartitionRange[];
  try {
    await requireTopics(admin, [topics.lifecycle, topics.proofs], (config.KAFKA_BROKERS ?? []).join(','));
    ranges = await fetchPartitionRanges(admin, [topics.lifecycle, topics.proofs]);
    markPhase('offsets');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const replay = (topicExists = true): RestorePlan => ({
    topicExists,
    from: 'replay',
    store: new ProjectionStore(storeOptions),
    ...startOf(ranges, (r) => r.low),
    snapshot: null,
    loadSeconds: (clock() - began) / 1000,
  });
  if (opts.fromScratch === true) return replay();

  const topic = config.KAFKA_TOPIC_SNAPSHOTS;
  const partitionCounts = new Map<string, number>();
  for (const r of ranges) partitionCounts.set(r.topic, (partitionCounts.get(r.topic) ?? 0) + 1);
  let found: Awaited<ReturnType<typeof findNewest>>;
  try {
    found = await findNewest({
      kafka,
      topic,
      logger,
      ranges,
      expectation: { reducer: REDUCER_VERSION, topics, partitionCounts },
      onSkip: () => opts.metrics?.snapshotsSkipped.inc(),
    });
  } catch (err) {
    logger.error({ topic, err: (err as Error).message }, `cannot read the snapshot topic ${topic}: starting by full replay`);
    return replay();
  }
  if (found.missing) {
    logger.warn(
      { topic },
      `snapshot topic "${topic}" does not exist: starting by full replay (create it to restart from snapshots, see docs/snapshots.md)`,
    );
    return replay(false);
  }
  const loaded = found.loaded;
  if (loaded === null) {
    logger.info({ topic, seen: found.seen }, 'no usable snapshot: starting by full replay');
    return replay();
  }
  const store = ProjectionStore.fromRecords(loaded.image, storeOptions);
  markPhase('decoded');
  const loadSeconds = (clock() - began) / 1000;
  opts.metrics?.snapshotBytes.set(loaded.bytes);
  const h = loaded.header;
  logger.info(
    {
      snapshot: h.id,
      createdAt: new Date(h.createdAt).toISOString(),
      intents: store.size,
      tombstones: store.tombstones,
      bytes: loaded.bytes,
      loadSeconds: Number(loadSeconds.toFixed(3)),
    },
    `snapshot ${h.id} loaded; reading what follows its positions`,
  );
  if (loaded.gone > 0) {
    logger.warn(
      { snapshot: h.id, offsetsGone: loaded.gone },
      `${loaded.gone} offsets after the snapshot's positions were deleted by retention; their effects are in the snapshot`,
    );
  }
  return {
    topicExists: true,
    from: 'snapshot',
    store,
    ...startOf(ranges, (r) => loaded.resumeAt.get(partitionKey(r.topic, r.partition)) ?? r.low),
    snapshot: h,
    loadSeconds,
  };
}
