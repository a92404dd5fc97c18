/**
 * The `serve` command's body: choose the source (Kafka when KAFKA_BROKERS is set, otherwise the
 * embedded in-process log fed by the simulator), start the service, and shut down cleanly on
 * SIGTERM/SIGINT within SHUTDOWN_TIMEOUT_MS.
 */
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { EmbeddedLog } from './ingest/embedded-log.js';
import { EmbeddedSource } from './ingest/embedded-source.js';
import { MemoryDeadLetterSink } from './ingest/memory-dlq.js';
import type { EventSource, SourceHandlers } from './ingest/source.js';
import { startService, type Service } from './service.js';
import { Producer, type ProducerSummary } from './sim/producer.js';
import { Scheduler } from './sim/scheduler.js';
import { embeddedSink } from './sim/sinks.js';
import { brokersOf, openKafkaIngestion } from './ingest/kafka-ingestion.js';
import { createKafka } from './ingest/kafka-client.js';
import { preflight } from './ingest/preflight.js';
import { planRestore } from './snapshot/restore.js';

export type Mode = 'embedded' | 'kafka';

export interface SimulatorSettings {
  /** PRNG seed (default: time-based) */
  readonly seed?: number;
  /** multiplies protocol step durations (default 0.1: a lifecycle lasts a few seconds) */
  readonly timeScale?: number;
  /** history generated before start, replayed at start (ms, default 30000) */
  readonly warmupMs?: number;
}

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly simulator?: SimulatorSettings;
  readonly clock?: () => number;
}

export interface App {
  readonly mode: Mode;
  readonly service: Service;
  /** embedded mode only */
  readonly log: EmbeddedLog | null;
  readonly deadLetters: MemoryDeadLetterSink | null;
  /** rejects never; resolves with the error when ingestion stops for good */
  readonly fatal: Promise<Error>;
  /** Stops the simulator (if any) and the service. Idempotent. */
  stop(): Promise<void>;
}

export const EMBEDDED_BANNER =
  'embedded mode: no KAFKA_BROKERS set; running on an in-process event log fed by the simulator. ' +
  'Set KAFKA_BROKERS=host:port to attach to a real stream';

/** Starts the service in the mode the config asks for. Throws on a bad config or an unreachable broker. */
export async function startApp(opts: AppOptions): Promise<App> {
  const { config, logger } = opts;
  let reportFatal!: (e: Error) => void;
  const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));

  if (config.KAFKA_BROKERS === undefined) {
    const sim = opts.simulator ?? {};
    logger.info({ mode: 'embedded', simulatorRate: config.SIMULATOR_RATE }, EMBEDDED_BANNER);
    const clock = opts.clock ?? Date.now;
    const log = new EmbeddedLog([config.KAFKA_TOPIC_LIFECYCLE, config.KAFKA_TOPIC_PROOFS]);
    const dlq = new MemoryDeadLetterSink();
    let producer: Producer | null = null;
    let running: Promise<ProducerSummary> | null = null;
    if (config.SIMULATOR_RATE > 0) {
      const warmupMs = sim.warmupMs ?? 30_000;
      const seed = sim.seed ?? clock() & 0x7fffffff;
      const scheduler = new Scheduler({
        seed,
        startMs: clock() - warmupMs,
        rate: config.SIMULATOR_RATE,
        lifecycle: { timeScale: sim.timeScale ?? 0.1 },
      });
      producer = new Producer({
        scheduler,
        sink: embeddedSink(log, { lifecycle: config.KAFKA_TOPIC_LIFECYCLE, proofs: config.KAFKA_TOPIC_PROOFS }),
        seed,
        clock,
      });
      // history to replay at start, so the dashboard has something to show at once
      await producer.step();
      logger.debug({ records: log.size, seed }, 'simulator: warm-up history written');
    }
    const source = new EmbeddedSource(log);
    const service = await startService({
      config,
      logger,
      source: watchFatal(source, reportFatal),
      dlq,
      ...(opts.clock ? { clock: opts.clock } : {}),
    }).catch((err: unknown) => {
      throw explainListenError(err, config);
    });
    if (producer !== null) {
      const sim = producer;
      running = sim.run().catch((err: unknown) => {
        logger.error({ err }, 'simulator stopped');
        return sim.result();
      });
    }
    logListening(logger, service, 'embedded');
    let stopping: Promise<void> | null = null;
    return {
      mode: 'embedded',
      service,
      log,
      deadLetters: dlq,
      fatal,
      stop: () =>
        (stopping ??= (async () => {
          producer?.stop();
          await running;
          await service.stop();
        })()),
    };
  }

  logger.info(
    {
      mode: 'kafka',
      brokers: config.KAFKA_BROKERS,
      topics: [config.KAFKA_TOPIC_LIFECYCLE, config.KAFKA_TOPIC_PROOFS],
      dlq: config.KAFKA_TOPIC_DLQ,
    },
    `kafka mode: attaching to KAFKA_BROKERS=${config.KAFKA_BROKERS.join(',')}`,
  );
  const restoreStartedAt = (opts.clock ?? Date.now)();
  await preflight({ brokers: brokersOf(config), clientId: config.KAFKA_CLIENT_ID });
  const snapshotKafka = createKafka(config, logger);
  const plan = await planRestore({ kafka: snapshotKafka, config, logger, ...(opts.clock ? { clock: opts.clock } : {}) });
  const kafka = await openKafkaIngestion(config, logger, { source: { resumeAt: plan.resumeAt } });
  let service: Service;
  try {
    service = await startService({
      config,
      logger,
      source: watchFatal(kafka.source, reportFatal),
      dlq: kafka.dlq,
      snapshots: { plan, kafka: snapshotKafka, startedAt: restoreStartedAt },
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  } catch (err) {
    await kafka.close().catch(() => undefined);
    throw explainListenError(err, config);
  }
  logListening(logger, service, 'kafka');
  let stopping: Promise<void> | null = null;
  return {
    mode: 'kafka',
    service,
    log: null,
    deadLetters: null,
    fatal,
    stop: () =>
      (stopping ??= (async () => {
        await service.stop();
        await kafka.close();
      })()),
  };
}

/** `listen EADDRINUSE ...` → which setting to change. */
function explainListenError(err: unknown, config: Config): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const where = `${config.HOST}:${config.PORT}`;
  if (code === 'EADDRINUSE') return new Error(`cannot listen on ${where}: the port is already in use (set PORT or --port to a free port)`);
  if (code === 'EACCES') return new Error(`cannot listen on ${where}: permission denied (ports below 1024 need privileges; set PORT)`);
  if (code === 'EADDRNOTAVAIL') return new Error(`cannot listen on ${where}: no such local address (set HOST)`);
  return err;
}

function logListening(logger: Logger, service: Service, mode: Mode): void {
  logger.info({ url: service.url, port: service.port, mode }, `listening on ${service.url} (dashboard: ${service.url}/)`);
}

/** Passes the source through, telling `report` when it stops for good. */
function watchFatal(source: EventSource, report: (e: Error) => void): EventSource {
  return {
    start: (handlers: SourceHandlers) =>
      source.start({
        ...handlers,
        onFatal: (error) => {
          handlers.onFatal?.(error);
          report(error);
        },
      }),
    progress: () => source.progress(),
    stop: () => source.stop(),
  };
}

export interface ServeOptions extends AppOptions {
  /** process-like object for signals and exit (tests pass a stub) */
  readonly signals?: Pick<NodeJS.Process, 'once' | 'removeListener'>;
}

/**
 * Runs until SIGTERM/SIGINT (or a fatal ingestion error); resolves with the exit code:
 * 0 after a clean stop, 1 if ingestion failed or the stop took longer than SHUTDOWN_TIMEOUT_MS.
 */
export async function serve(opts: ServeOptions): Promise<number> {
  const { config, logger } = opts;
  const signals = opts.signals ?? process;
  const app = await startApp(opts);
  const listeners: [string, () => void][] = [];
  const reason = await new Promise<{ signal: string } | { error: Error }>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT']) {
      const handler = (): void => resolve({ signal });
      listeners.push([signal, handler]);
      signals.once(signal, handler);
    }
    void app.fatal.then((error) => resolve({ error }));
  });
  // a second signal during shutdown gets node's default behaviour (exit at once)
  for (const [signal, handler] of listeners) signals.removeListener(signal, handler);
  if ('signal' in reason) logger.info({ signal: reason.signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, `${reason.signal}: shutting down`);
  else logger.error({ err: reason.error }, 'ingestion stopped: shutting down');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    app.stop().then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), config.SHUTDOWN_TIMEOUT_MS);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown took longer than SHUTDOWN_TIMEOUT_MS; exiting anyway');
    return 1;
  }
  logger.info('stopped');
  return 'error' in reason ? 1 : 0;
}
