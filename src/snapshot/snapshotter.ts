/**
 * When snapshots are written: every `intervalMs` (0: never on a timer) if something was consumed
 * since the last snapshot written or loaded, and once more on a clean stop; only while this node
 * is the elected writer (election.ts). A failed write is logged and counted and tried again at the
 * next interval; it never stops the service.
 *
 * The cut (cut.ts) and the encoding are synchronous, between two batches; compression and
 * production run after, while the pipeline goes on.
 */
import { type Config, inputTopics } from '../config.js';
import type { KafkaClient } from '../ingest/kafka-client.js';
import type { Logger } from '../log.js';
import type { ProjectionStore } from '../reduce/store.js';
import type { Metrics } from '../transport/metrics.js';
import { snapshotContents } from './contents.js';
import type { ConsistentCut } from './cut.js';
import type { InputTopics, PartitionPosition } from './envelope.js';
import { WriterElection } from './election.js';
import { SnapshotWriter, type WrittenSnapshot } from './writer.js';

export interface SnapshotterOptions {
  readonly store: ProjectionStore;
  readonly cut: ConsistentCut;
  readonly writer: SnapshotWriter;
  /** null: this process always writes (the `snapshot` command) */
  readonly election: WriterElection | null;
  readonly topics: InputTopics;
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** positions of the snapshot this node started from (nothing changed yet) */
  readonly loadedPositions?: readonly PartitionPosition[];
}

const same = (a: readonly PartitionPosition[] | null, b: readonly PartitionPosition[]): boolean =>
  a !== null && JSON.stringify(a) === JSON.stringify(b);

export class Snapshotter {
  private timer: NodeJS.Timeout | null = null;
  private last: readonly PartitionPosition[] | null;
  private writing: Promise<WrittenSnapshot | null> | null = null;
  private stopped = false;

  constructor(private readonly opts: SnapshotterOptions) {
    this.last = opts.loadedPositions ?? null;
  }

  /** Starts the timer (after catch-up). */
  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => void this.writeIfChanged('interval'), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Writes a snapshot if this node is the writer and something changed; null otherwise. */
  writeIfChanged(why: 'interval' | 'shutdown' | 'command' | 'elected'): Promise<WrittenSnapshot | null> {
    if (this.writing !== null) return this.writing;
    const run = this.write(why).finally(() => (this.writing = null));
    this.writing = run;
    return run;
  }

  private async write(why: string): Promise<WrittenSnapshot | null> {
    const { election, store, cut, logger, metrics } = this.opts;
    if (election !== null && !election.isLeader) return null;
    const captured = await cut.take((positions) => {
      if (same(this.last, positions)) return null;
      return { positions, ...snapshotContents(store, this.opts.topics, positions) };
    });
    if (captured === null) {
      logger.debug({ why }, 'snapshot: nothing changed since the last one');
      return null;
    }
    try {
      const written = await this.opts.writer.write(captured.meta, captured.image);
      this.last = captured.positions;
      metrics?.snapshotsWritten.inc();
      metrics?.snapshotBytes.set(written.bytes);
      logger.info({ why, ...written, intents: captured.meta.intents, positions: captured.positions }, `snapshot ${written.id} written`);
      return written;
    } catch (err) {
      metrics?.snapshotFailures.inc();
      logger.error({ why, err: (err as Error).message }, 'snapshot: write failed; trying again at the next interval');
      return null;
    }
  }

  /** Stops the timer; with `final`, writes a last snapshot first (clean shutdown). */
  async stop(final: boolean): Promise<void> {
    if (this.stopped) return;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.writing;
    if (final) await this.writeIfChanged('shutdown');
    this.stopped = true;
    await this.opts.election?.stop();
    await this.opts.writer.close();
  }
}

export interface FleetSnapshotterOptions {
  readonly kafka: KafkaClient;
  readonly config: Pick<Config, 'KAFKA_TOPIC_LIFECYCLE' | 'KAFKA_TOPIC_PROOFS' | 'KAFKA_TOPIC_SNAPSHOTS' | 'SNAPSHOT_INTERVAL_MS'>;
  readonly store: ProjectionStore;
  readonly cut: ConsistentCut;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly loadedPositions?: readonly PartitionPosition[];
  /** writer group session timeout (default 10000 ms) */
  readonly sessionTimeoutMs?: number;
}

/** A running service's snapshotter: joins the writer election, then writes on its interval while elected. */
export function startFleetSnapshotter(opts: FleetSnapshotterOptions): Snapshotter {
  const { kafka, config, logger, metrics } = opts;
  const topic = config.KAFKA_TOPIC_SNAPSHOTS;
  const election = new WriterElection({
    kafka,
    topic,
    logger,
    ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: opts.sessionTimeoutMs } : {}),
    onChange: (leader) => {
      metrics?.snapshotWriter.set(leader ? 1 : 0);
      // a new writer (first election, or taking over from one that died) writes at once if the
      // newest snapshot it knows of is behind: the one before may be an interval old
      if (leader) void snapshotter.writeIfChanged('elected');
    },
  });
  const snapshotter: Snapshotter = new Snapshotter({
    store: opts.store,
    cut: opts.cut,
    writer: new SnapshotWriter({ kafka, topic, logger }),
    election,
    topics: inputTopics(config),
    intervalMs: config.SNAPSHOT_INTERVAL_MS,
    logger,
    ...(metrics !== undefined ? { metrics } : {}),
    ...(opts.loadedPositions !== undefined ? { loadedPositions: opts.loadedPositions } : {}),
  });
  election
    .start()
    .catch((err: unknown) =>
      logger.error({ topic, err: (err as Error).message }, 'snapshot writer election failed: this node writes no snapshots'),
    );
  snapshotter.start();
  return snapshotter;
}
