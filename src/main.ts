/**
 * The `serve` command's body: open the ingestion (Kafka when KAFKA_BROKERS is set, otherwise the
 * embedded in-process log fed by the simulator), start the service on it, and shut down cleanly on
 * SIGTERM/SIGINT within SHUTDOWN_TIMEOUT_MS.
 */
import { type Config, inputTopics, topicList } from './config.js';
import { applyHeapGrowth } from './heap-growth.js';
import { openEmbeddedIngestion, type SimulatorSettings } from './ingest/embedded-ingestion.js';
import type { Ingestion } from './ingest/ingestion.js';
import { createKafka } from './ingest/kafka-client.js';
import { brokersOf, openKafkaIngestion } from './ingest/kafka-ingestion.js';
import { preflight } from './ingest/preflight.js';
import type { Logger } from './log.js';
import { markPhase } from './phases.js';
import { type SnapshotSetup, startService, type Service } from './service.js';
import { planRestore } from './snapshot/restore.js';

export type Mode = 'embedded' | 'kafka';

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** embedded mode's simulator */
  readonly simulator?: SimulatorSettings;
  readonly clock?: () => number;
}

export interface App {
  readonly mode: Mode;
  readonly service: Service;
  /** Stops the service, then closes the ingestion. Idempotent. */
  stop(): Promise<void>;
}

export const EMBEDDED_BANNER =
  'embedded mode: no KAFKA_BROKERS set; running on an in-process event log fed by the simulator. ' +
  'Set KAFKA_BROKERS=host:port to attach to a real stream';

/** Starts the service in the mode the config asks for. Throws on a bad config or an unreachable broker. */
export async function startApp(opts: AppOptions): Promise<App> {
  const { config, logger } = opts;
  applyHeapGrowth(config.HEAP_GROWTH_PERCENT); // before the state is built (src/heap-growth.ts)
  const { mode, ingestion, snapshots } = await openIngestion(opts);
  let service: Service;
  try {
    service = await startService({
      config,
      logger,
      source: ingestion.source,
      dlq: ingestion.dlq,
      ...(snapshots ? { snapshots } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  } catch (err) {
    await ingestion.close().catch(() => undefined);
    throw explainListenError(err, config);
  }
  logger.info({ url: service.url, port: service.port, mode }, `listening on ${service.url} (dashboard: ${service.url}/)`);
  let stopping: Promise<void> | null = null;
  return {
    mode,
    service,
    stop: () =>
      (stopping ??= (async () => {
        await service.stop();
        await ingestion.close();
      })()),
  };
}

/**
 * The one choice between the modes: which ingestion the service reads. In Kafka mode, after a
 * quick broker check (one clear line when it does not answer), the newest usable snapshot decides
 * where the state starts and where the source resumes (src/snapshot/restore.ts).
 */
async function openIngestion(opts: AppOptions): Promise<{ mode: Mode; ingestion: Ingestion; snapshots?: SnapshotSetup }> {
  const { config, logger } = opts;
  if (config.KAFKA_BROKERS === undefined) {
    logger.info({ mode: 'embedded', simulatorRate: config.SIMULATOR_RATE }, EMBEDDED_BANNER);
    const ingestion = await openEmbeddedIngestion(config, logger, {
      ...(opts.simulator ? { simulator: opts.simulator } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    return { mode: 'embedded', ingestion };
  }
  logger.info(
    {
      mode: 'kafka',
      brokers: config.KAFKA_BROKERS,
      topics: topicList(inputTopics(config)),
      dlq: config.KAFKA_TOPIC_DLQ,
    },
    `kafka mode: attaching to KAFKA_BROKERS=${config.KAFKA_BROKERS.join(',')}`,
  );
  const startedAt = (opts.clock ?? Date.now)();
  await preflight({ brokers: brokersOf(config), clientId: config.KAFKA_CLIENT_ID });
  markPhase('brokerConnected');
  const kafka = createKafka(config, logger);
  const plan = await planRestore({ kafka, config, logger, ...(opts.clock ? { clock: opts.clock } : {}) });
  const ingestion = await openKafkaIngestion(config, logger, { source: { resumeAt: plan.resumeAt } });
  return { mode: 'kafka', ingestion, snapshots: { plan, kafka, startedAt } };
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
    void app.service.fatal.then((error) => resolve({ error }));
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
