/**
 * The composition root of one running service: source → pipeline (decode, fold, fan-out) →
 * transport. Used by `main.ts` (the `serve` command) and by integration tests, which start real
 * instances against the real broker.
 */
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { DeadLetterSink, EventSource, ReplayProgress, SourceBatch, SourceHandlers } from './ingest/source.js';
import { StallWatch } from './ingest/stall-watch.js';
import { Pipeline } from './pipeline.js';
import { Metrics } from './transport/metrics.js';
import { createTransport } from './transport/server.js';
import type { Readiness, Transport } from './transport/transport.js';
import type { KafkaClient } from './ingest/kafka-client.js';
import { ConsistentCut } from './snapshot/cut.js';
import type { RestorePlan, RestoreReport } from './snapshot/restore.js';
import { startFleetSnapshotter, type Snapshotter } from './snapshot/snapshotter.js';

export interface ServiceOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly source: EventSource;
  readonly dlq: DeadLetterSink;
  readonly metrics?: Metrics;
  readonly clock?: () => number;
  /** how often replay progress is logged and lag gauges refreshed */
  readonly progressIntervalMs?: number;
  /** Kafka mode: where the state starts (src/snapshot/restore.ts) and the client snapshots use */
  readonly snapshots?: SnapshotSetup;
}

export interface SnapshotSetup {
  readonly plan: RestorePlan;
  readonly kafka: KafkaClient;
  /** when the restore began (clock), for `restore.seconds` */
  readonly startedAt: number;
  /** writer election session timeout (tests) */
  readonly sessionTimeoutMs?: number;
}

export interface Service {
  readonly port: number;
  readonly url: string;
  readonly pipeline: Pipeline;
  readonly metrics: Metrics;
  readonly transport: Transport;
  /** resolves when every partition reached its start end offset */
  readonly caughtUp: Promise<void>;
  readiness(): Readiness;
  /** how the node started, once caught up */
  restore(): RestoreReport | null;
  /** null when snapshots are off (embedded mode, SNAPSHOT_INTERVAL_MS=0, no snapshot topic) */
  readonly snapshotter: () => Snapshotter | null;
  progress(): ReplayProgress;
  /** Stops consuming, closes client connections and the server. Idempotent. */
  stop(): Promise<void>;
}

export async function startService(opts: ServiceOptions): Promise<Service> {
  const { config, logger, source, dlq } = opts;
  const metrics = opts.metrics ?? new Metrics();
  const clock = opts.clock ?? Date.now;
  const startedAt = clock();

  let brokerDownSince: number | null = null;
  let fatal: Error | null = null;
  let resolveCaughtUp!: () => void;
  const caughtUp = new Promise<void>((r) => (resolveCaughtUp = r));

  const snap = opts.snapshots;
  const restoreStartedAt = snap?.startedAt ?? startedAt;
  let restore: RestoreReport | null = null;
  let snapshotter: Snapshotter | null = null;
  const cut = snap === undefined ? null : new ConsistentCut(snap.plan.start);
  const stalls = new StallWatch({ source, stallReadyMs: config.STALL_READY_MS, logger, clock });
  const readiness = (): Readiness => (restore === null ? readinessNow() : { ...readinessNow(), restore });
  const readinessNow = (): Readiness => {
    const isCaughtUp = pipeline.isCaughtUp;
    if (fatal !== null) return { ready: false, reason: `stopped: ${fatal.message}`, caughtUp: isCaughtUp };
    const stalled = stalls.reason;
    if (stalled !== null) return { ready: false, reason: stalled, caughtUp: isCaughtUp };
    if (!isCaughtUp) return { ready: false, reason: `catching up (${percent(source.progress())}%)`, caughtUp: false };
    if (brokerDownSince !== null && clock() - brokerDownSince >= config.BROKER_DOWN_GRACE_MS) {
      return { ready: false, reason: `broker unreachable for ${Math.round((clock() - brokerDownSince) / 1000)}s`, caughtUp: true };
    }
    return { ready: true, reason: null, caughtUp: true };
  };

  let transport!: Transport;
  const pipeline: Pipeline = new Pipeline(
    { deliver: (e) => transport.deliver(e), statsChanged: () => transport.statsChanged() },
    dlq,
    clock,
    {
      onApplied: (n) => metrics.eventsApplied.inc(n),
      onFutureDated: (topic) => metrics.futureDated.inc({ topic }),
      onDeadLetter: (reason, kind) => {
        metrics.deadLetters.inc({ kind });
        logger.warn({ reason, kind }, 'record sent to the dead-letter topic');
      },
    },
    {
      topics: { lifecycle: config.KAFKA_TOPIC_LIFECYCLE, proofs: config.KAFKA_TOPIC_PROOFS },
      store: { tombstoneRetentionMs: config.TOMBSTONE_RETENTION_MS, maxClockSkewMs: config.MAX_CLOCK_SKEW_MS },
      ...(snap !== undefined ? { initialStore: snap.plan.store } : {}),
    },
  );
  transport = createTransport({ config, logger, metrics, store: pipeline.store, readiness, clock });
  const port = await transport.listen();
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${host}:${port}`;

  /** Lag, catch-up, readiness and projection gauges; refreshed on every scrape and progress tick. */
  const refreshGauges = (): ReplayProgress => {
    const p = source.progress();
    for (const part of p.partitions) {
      metrics.consumerLag.set({ topic: part.topic, partition: String(part.partition) }, lag(part.high, part.position));
    }
    metrics.catchUpProgress.set(p.caughtUp ? 1 : percent(p) / 100);
    metrics.caughtUp.set(p.caughtUp ? 1 : 0);
    metrics.projections.set(pipeline.store.size);
    metrics.ready.set(readiness().ready ? 1 : 0);
    metrics.stalled.set(stalls.reason === null ? 0 : 1);
    metrics.dlqWritable.set(dlq.unwritable?.() ? 0 : 1);
    return p;
  };
  metrics.onRefresh(refreshGauges);

  let lastRead = 0;
  let lastTick = clock();
  const report = (final: boolean): void => {
    const p = refreshGauges();
    const now = clock();
    const rate = ((p.recordsRead - lastRead) * 1000) / Math.max(1, now - lastTick);
    lastRead = p.recordsRead;
    lastTick = now;
    if (!p.caughtUp && !final) {
      logger.info(
        {
          progress: `${percent(p)}%`,
          recordsRead: p.recordsRead,
          recordsToReplay: p.recordsToReplay,
          eventsPerSecond: Math.round(rate),
          lag: lagByPartition(p),
        },
        'replaying',
      );
    }
  };
  const ticker = setInterval(() => report(false), opts.progressIntervalMs ?? 2000);
  ticker.unref();

  const apply = (batch: SourceBatch): Promise<void> => {
    metrics.recordsRead.inc({ topic: batch.topic }, batch.records.length);
    return pipeline.applyBatch(batch);
  };
  const handlers: SourceHandlers = {
    onBatch: cut === null ? apply : cut.wrap(apply),
    onCaughtUp: () => {
      pipeline.markCaughtUp();
      transport.caughtUp();
      report(true);
      const seconds = (clock() - startedAt) / 1000;
      logger.info(
        {
          projections: pipeline.store.size,
          recordsRead: pipeline.records,
          deadLetters: pipeline.deadLettered,
          seconds: Number(seconds.toFixed(2)),
          stats: pipeline.store.stats(),
        },
        'caught up: live',
      );
      restore = {
        from: snap?.plan.from ?? 'replay',
        intents: pipeline.store.size,
        recordsReplayed: pipeline.records,
        seconds: Number(((clock() - restoreStartedAt) / 1000).toFixed(3)),
      };
      logger.info(
        { restore },
        `restore: from ${restore.from}, ${restore.intents} intents, ${restore.recordsReplayed} records replayed, ${restore.seconds}s`,
      );
      if (snap !== undefined && cut !== null && snap.plan.topicExists && config.SNAPSHOT_INTERVAL_MS > 0) {
        snapshotter = startFleetSnapshotter({
          kafka: snap.kafka,
          config,
          store: pipeline.store,
          cut,
          logger,
          metrics,
          ...(snap.plan.snapshot !== null ? { loadedPositions: snap.plan.snapshot.positions } : {}),
          ...(snap.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: snap.sessionTimeoutMs } : {}),
        });
      }
      resolveCaughtUp();
    },
    onConnectionChange: (connected) => {
      if (connected && brokerDownSince !== null) {
        logger.info({ downForMs: clock() - brokerDownSince }, 'broker reachable again');
        brokerDownSince = null;
      } else if (!connected && brokerDownSince === null) {
        brokerDownSince = clock();
        logger.error({ graceMs: config.BROKER_DOWN_GRACE_MS }, 'broker unreachable; reconnecting (not ready after the grace period)');
      }
    },
    onFatal: (error) => {
      fatal = error;
      logger.fatal({ err: error }, 'ingestion stopped');
    },
  };
  try {
    await source.start(handlers);
  } catch (err) {
    // e.g. input topics missing: do not leave the server listening behind a failed start
    clearInterval(ticker);
    await transport.close();
    throw err;
  }
  stalls.start();

  let stopping: Promise<void> | null = null;
  return {
    port,
    url,
    pipeline,
    metrics,
    transport,
    caughtUp,
    readiness,
    restore: () => restore,
    snapshotter: () => snapshotter,
    progress: () => source.progress(),
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(ticker);
        stalls.stop();
        await source.stop();
        // after the source: no batch in flight, the last snapshot holds everything applied
        await snapshotter?.stop(fatal === null);
        await transport.close();
      })()),
  };
}

function lag(high: string, position: string): number {
  return Math.max(0, Number(BigInt(high) - BigInt(position)));
}

function lagByPartition(p: ReplayProgress): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of p.partitions) out[`${part.topic}/${part.partition}`] = lag(part.target, part.position);
  return out;
}

export function percent(p: ReplayProgress): number {
  if (p.caughtUp) return 100;
  if (p.recordsToReplay <= 0) return 0;
  return Math.min(99, Math.floor((p.recordsRead / p.recordsToReplay) * 100));
}
