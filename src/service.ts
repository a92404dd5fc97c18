/**
 * The composition root of one running service: source → pipeline (decode, fold, fan-out) →
 * transport. Built in the order the data needs, without a cycle: the store and the stream
 * (positions and resume window, docs/resume.md), then the transport (which reads both), then the
 * pipeline (which folds into the store, advances the stream and delivers to the transport), then
 * `runPipeline` over the source. Used by `main.ts` (the `serve` command) and by
 * integration tests, which start real instances against the real broker.
 */
import { type Config, inputTopics } from './config.js';
import type { Logger } from './log.js';
import { markPhase, processStartedAt, startPhases } from './phases.js';
import type { DeadLetterSink, EventSource, ReplayProgress } from './ingest/source.js';
import { StallWatch } from './ingest/stall-watch.js';
import type { KafkaClient } from './ingest/kafka-client.js';
import { Pipeline, type PipelineRun, runPipeline } from './pipeline.js';
import { ProjectionStore } from './reduce/store.js';
import { Stream } from './fanout/stream.js';
import { ConsistentCut } from './snapshot/cut.js';
import type { RestorePlan, RestoreReport } from './snapshot/restore.js';
import { startFleetSnapshotter, type Snapshotter } from './snapshot/snapshotter.js';
import { Metrics } from './transport/metrics.js';
import { createTransport } from './transport/server.js';
import type { Readiness, Transport } from './transport/transport.js';

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
  /** never rejects; resolves with the error when ingestion stops for good */
  readonly fatal: Promise<Error>;
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

  const snap = opts.snapshots;
  const restoreStartedAt = snap?.startedAt ?? startedAt;
  let restore: RestoreReport | null = null;
  let snapshotter: Snapshotter | null = null;
  const cut = snap === undefined ? null : new ConsistentCut(snap.plan.start);

  // what readiness reads; set by the run's listeners below
  const state = { caughtUp: false, fatal: null as Error | null, brokerDownSince: null as number | null };
  const stalls = new StallWatch({ source, stallReadyMs: config.STALL_READY_MS, logger, clock });
  const readiness = (): Readiness => (restore === null ? readinessNow() : { ...readinessNow(), restore });
  const readinessNow = (): Readiness => {
    if (state.fatal !== null) return { ready: false, reason: `stopped: ${state.fatal.message}`, caughtUp: state.caughtUp };
    const stalled = stalls.reason;
    if (stalled !== null) return { ready: false, reason: stalled, caughtUp: state.caughtUp };
    if (!state.caughtUp) return { ready: false, reason: `catching up (${percent(source.progress())}%)`, caughtUp: false };
    const downSince = state.brokerDownSince;
    if (downSince !== null && clock() - downSince >= config.BROKER_DOWN_GRACE_MS) {
      return { ready: false, reason: `broker unreachable for ${Math.round((clock() - downSince) / 1000)}s`, caughtUp: true };
    }
    return { ready: true, reason: null, caughtUp: true };
  };

  // a snapshot's restored store, or an empty one
  const store =
    snap?.plan.store ??
    new ProjectionStore({ tombstoneRetentionMs: config.TOMBSTONE_RETENTION_MS, maxClockSkewMs: config.MAX_CLOCK_SKEW_MS });
  // positions and the resume window (docs/resume.md): the pipeline writes them, the transport reads them
  const stream = new Stream(inputTopics(config), config.RESUME_WINDOW, config.RESUME_WINDOW_BYTES);
  // a restored state covers the records below the snapshot's positions (docs/resume.md)
  if (snap !== undefined && snap.plan.from === 'snapshot') {
    for (const p of snap.plan.start) stream.restored(p.topic, p.partition, Number(p.offset));
  }
  const transport = createTransport({ config, logger, metrics, store, stream, readiness, clock });
  const pipeline = new Pipeline({
    store,
    sink: transport,
    dlq,
    clock,
    hooks: {
      onApplied: (n) => metrics.eventsApplied.inc(n),
      onFutureDated: (topic) => metrics.futureDated.inc({ topic }),
      onDeadLetter: (reason, kind) => {
        metrics.deadLetters.inc({ kind });
        logger.warn({ reason, kind }, 'record sent to the dead-letter topic');
      },
    },
    topics: inputTopics(config),
    maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
    stream,
    replayRemaining: () => {
      const p = source.progress();
      return p.recordsToReplay - p.recordsRead;
    },
  });
  const port = await transport.listen();
  markPhase('listening');
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${host}:${port}`;

  let countedCrashes = 0;
  /** Lag, catch-up, readiness and projection gauges; refreshed on every scrape and progress tick. */
  const refreshGauges = (): ReplayProgress => {
    const p = source.progress();
    for (const part of p.partitions) {
      metrics.consumerLag.set({ topic: part.topic, partition: String(part.partition) }, lag(part.high, part.position));
    }
    metrics.catchUpProgress.set(p.caughtUp ? 1 : percent(p) / 100);
    metrics.caughtUp.set(p.caughtUp ? 1 : 0);
    metrics.projections.set(store.size);
    metrics.ready.set(readiness().ready ? 1 : 0);
    metrics.stalled.set(stalls.reason === null ? 0 : 1);
    metrics.dlqWritable.set(dlq.unwritable?.() ? 0 : 1);
    const crashes = source.crashes?.() ?? 0;
    if (crashes > countedCrashes) metrics.consumerCrashes.inc(crashes - countedCrashes);
    countedCrashes = crashes;
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

  let run: PipelineRun;
  try {
    run = await runPipeline(pipeline, source, {
      onBatch: (batch) => {
        markPhase('firstBatch');
        metrics.recordsRead.inc({ topic: batch.topic }, batch.records.length);
      },
      ...(cut !== null ? { wrapApply: (apply) => cut.wrap(apply) } : {}),
      onCaughtUp: () => {
        state.caughtUp = true;
        markPhase('caughtUp');
        report(true);
        const seconds = (clock() - startedAt) / 1000;
        logger.info(
          {
            projections: store.size,
            recordsRead: pipeline.records,
            deadLetters: pipeline.deadLettered,
            seconds: Number(seconds.toFixed(2)),
            stats: store.stats(),
          },
          'caught up: live',
        );
        restore = {
          from: snap?.plan.from ?? 'replay',
          intents: store.size,
          recordsReplayed: pipeline.records,
          seconds: Number(((clock() - restoreStartedAt) / 1000).toFixed(3)),
        };
        logger.info(
          { restore, phasesMs: startPhases(), processStartedAt: processStartedAt() },
          `restore: from ${restore.from}, ${restore.intents} intents, ${restore.recordsReplayed} records replayed, ${restore.seconds}s`,
        );
        if (snap !== undefined && cut !== null && snap.plan.topicExists && config.SNAPSHOT_INTERVAL_MS > 0) {
          snapshotter = startFleetSnapshotter({
            kafka: snap.kafka,
            config,
            store,
            cut,
            logger,
            metrics,
            ...(snap.plan.snapshot !== null ? { loadedPositions: snap.plan.snapshot.positions } : {}),
            ...(snap.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: snap.sessionTimeoutMs } : {}),
          });
        }
      },
      onConnectionChange: (connected) => {
        if (connected && state.brokerDownSince !== null) {
          logger.info({ downForMs: clock() - state.brokerDownSince }, 'broker reachable again');
          state.brokerDownSince = null;
        } else if (!connected && state.brokerDownSince === null) {
          state.brokerDownSince = clock();
          logger.error({ graceMs: config.BROKER_DOWN_GRACE_MS }, 'broker unreachable; reconnecting (not ready after the grace period)');
        }
      },
      onFatal: (error) => {
        state.fatal = error;
        logger.fatal({ err: error }, 'ingestion stopped');
      },
    });
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
    caughtUp: run.caughtUp,
    fatal: run.fatal,
    readiness,
    restore: () => restore,
    snapshotter: () => snapshotter,
    progress: () => source.progress(),
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(ticker);
        stalls.stop();
        await run.stop();
        // after the source: no batch in flight, the last snapshot holds everything applied
        await snapshotter?.stop(state.fatal === null);
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
