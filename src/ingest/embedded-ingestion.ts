/**
 * Embedded mode's ingestion (no KAFKA_BROKERS): an in-process `EmbeddedLog` of the two input
 * topics, fed by the traffic simulator at SIMULATOR_RATE events/s, read by an `EmbeddedSource`;
 * dead letters are counted in memory. Opening writes `warmupMs` of history first, so the service
 * has something to replay and the dashboard something to show at once; then the simulator runs
 * live until `close()`.
 */
import { type Config, inputTopics, topicList } from '../config.js';
import type { Logger } from '../log.js';
import { Producer, type ProducerSummary } from '../sim/producer.js';
import { Scheduler } from '../sim/scheduler.js';
import { embeddedSink } from '../sim/sinks.js';
import { EmbeddedLog } from './embedded-log.js';
import { EmbeddedSource } from './embedded-source.js';
import type { Ingestion } from './ingestion.js';
import { MemoryDeadLetterSink } from './memory-dlq.js';

export interface SimulatorSettings {
  /** PRNG seed (default: time-based) */
  readonly seed?: number;
  /** multiplies protocol step durations (default 0.1: a lifecycle lasts a few seconds) */
  readonly timeScale?: number;
  /** history generated before start, replayed at start (ms, default 30000) */
  readonly warmupMs?: number;
}

export interface EmbeddedIngestion extends Ingestion {
  readonly log: EmbeddedLog;
  readonly source: EmbeddedSource;
  readonly dlq: MemoryDeadLetterSink;
}

export async function openEmbeddedIngestion(
  config: Pick<Config, 'KAFKA_TOPIC_LIFECYCLE' | 'KAFKA_TOPIC_PROOFS' | 'SIMULATOR_RATE'>,
  logger: Logger,
  opts: { readonly simulator?: SimulatorSettings; readonly clock?: () => number } = {},
): Promise<EmbeddedIngestion> {
  const topics = inputTopics(config);
  const log = new EmbeddedLog(topicList(topics), { clock: opts.clock ?? Date.now });
  const source = new EmbeddedSource(log);
  const dlq = new MemoryDeadLetterSink();
  let producer: Producer | null = null;
  let running: Promise<ProducerSummary> | null = null;
  if (config.SIMULATOR_RATE > 0) {
    const sim = opts.simulator ?? {};
    const clock = opts.clock ?? Date.now;
    const seed = sim.seed ?? clock() & 0x7fffffff;
    const scheduler = new Scheduler({
      seed,
      startMs: clock() - (sim.warmupMs ?? 30_000),
      rate: config.SIMULATOR_RATE,
      lifecycle: { timeScale: sim.timeScale ?? 0.1 },
    });
    const simulator = new Producer({ scheduler, sink: embeddedSink(log, topics), seed, clock });
    await simulator.step(); // the warm-up history
    logger.debug({ records: log.size, seed }, 'simulator: warm-up history written');
    running = simulator.run().catch((err: unknown) => {
      logger.error({ err }, 'simulator stopped');
      return simulator.result();
    });
    producer = simulator;
  }
  let closing: Promise<void> | null = null;
  return {
    log,
    source,
    dlq,
    close: () =>
      (closing ??= (async () => {
        producer?.stop();
        await running;
        await source.stop();
      })()),
  };
}
