/**
 * `intent-projector simulate`: produce realistic intent lifecycles to Kafka at a given rate.
 */
import kafkajs from 'kafkajs';
import { type Config, inputTopics, loadConfig, topicList } from '../config.js';
import { createKafka } from '../ingest/kafka-client.js';
import type { Logger } from '../log.js';
import { Producer, type ProducerSummary } from '../sim/producer.js';
import { Scheduler } from '../sim/scheduler.js';
import { kafkaSink } from '../sim/sinks.js';
import { configFlags, configHelp, KAFKA_VARS, numberOption, parseCommand, type Command } from './common.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { preflight } from '../ingest/preflight.js';
import { createTopics } from '../ingest/topics.js';

const { Partitioners } = kafkajs;
const FLAGS = configFlags(KAFKA_VARS);

export interface SimulateOptions {
  readonly rate: number;
  /** seconds; stops producing then (in-flight intents stay unfinished) */
  readonly duration?: number;
  /** number of intents; all of them run to their end */
  readonly intents?: number;
  readonly duplicates: number;
  readonly malformed: number;
  readonly seed: number;
  readonly timeScale: number;
  /** partitions of topics the command creates when they are missing */
  readonly partitions: number;
}

export interface SimulateSummary extends ProducerSummary {
  readonly topics: { lifecycle: string; proofs: string };
  readonly seed: number;
}

/** Produces to the configured topics; resolves with what was sent. */
export async function simulate(config: Config, logger: Logger, opts: SimulateOptions, signal?: AbortSignal): Promise<SimulateSummary> {
  const brokers = config.KAFKA_BROKERS;
  if (brokers === undefined) throw new UsageError('simulate needs a broker: set KAFKA_BROKERS or pass --brokers host:port');
  const topics = inputTopics(config);
  const wanted = [...topicList(topics), config.KAFKA_TOPIC_DLQ];
  const check = await preflight({ brokers, clientId: config.KAFKA_CLIENT_ID }, wanted);
  const kafka = createKafka(config, logger);
  const missing = wanted.filter((t) => !check.existingTopics.includes(t));
  if (missing.length > 0) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopics(
        admin,
        missing.map((topic) => ({ topic, numPartitions: opts.partitions })),
      );
      logger.info({ topics: missing, partitions: opts.partitions }, 'created missing topics');
    } finally {
      await admin.disconnect();
    }
  }
  // idempotent: a retried send never writes a record twice, so the summary's counts are exact
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const scheduler = new Scheduler({
      seed: opts.seed,
      startMs: Date.now(),
      rate: opts.rate,
      ...(opts.intents !== undefined ? { maxIntents: opts.intents } : {}),
      lifecycle: { timeScale: opts.timeScale },
    });
    const p = new Producer({
      scheduler,
      sink: kafkaSink(producer, topics),
      seed: opts.seed,
      duplicates: opts.duplicates,
      malformed: opts.malformed,
    });
    const onAbort = (): void => p.stop();
    signal?.addEventListener('abort', onAbort);
    const deadline = opts.duration !== undefined ? Date.now() + opts.duration * 1000 : Number.POSITIVE_INFINITY;
    const progress = setInterval(() => {
      const r = p.result();
      logger.info({ events: r.events, intents: r.intents, eventsPerSecond: r.eventsPerSecond }, 'simulating');
    }, 5000);
    progress.unref();
    try {
      const summary = await p.run(deadline);
      return { ...summary, topics, seed: opts.seed };
    } finally {
      clearInterval(progress);
      signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    await producer.disconnect();
  }
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'produce realistic intent lifecycles to Kafka at a given rate',
  help: `Usage: intent-projector simulate [options]

Produces valid intent histories (submitted → proofs → matched → HTLC locks → completed, with
failures, cancellations, refunds, removals and settlement proofs) to the lifecycle and proof
topics, keyed by intentId, at --rate events/s. Stops after --duration seconds, after --intents
intents have run to their end, or on Ctrl-C. Missing topics are created.

Options:
  --rate <n>          events per second (default 100)
  --duration <s>      stop after this many seconds (default 10 unless --intents is given)
  --intents <n>       produce exactly n complete intent histories
  --duplicates <r>    share of events sent twice, 0..1 (producer retries; default 0)
  --malformed <r>     share of extra malformed records, 0..1 (go to the DLQ; default 0)
  --seed <n>          PRNG seed (default: time-based); the same seed gives the same histories
  --time-scale <x>    multiplies the protocol's step durations (default 0.1)
  --partitions <n>    partitions of topics created here (default 3)
  --json              print the summary as one JSON line
${configHelp(FLAGS)}
  -h, --help          show this help

Exit codes: 0 done, 1 runtime failure (e.g. broker unreachable), 2 invalid option or configuration.`,
  async run(argv, io) {
    const { values, env } = parseCommand(
      'simulate',
      argv,
      {
        rate: { type: 'string' },
        duration: { type: 'string' },
        intents: { type: 'string' },
        duplicates: { type: 'string' },
        malformed: { type: 'string' },
        seed: { type: 'string' },
        'time-scale': { type: 'string' },
        partitions: { type: 'string' },
        json: { type: 'boolean' },
      },
      FLAGS,
      io.env,
    );
    if (values['help']) {
      io.stdout.write(`${simulateCommand.help}\n`);
      return 0;
    }
    const intents = numberOption(values, 'intents', undefined, { min: 1, integer: true });
    const opts: SimulateOptions = {
      rate: numberOption(values, 'rate', 100, { min: 0.001, max: 1_000_000 })!,
      ...(intents !== undefined ? { intents } : {}),
      ...(values['duration'] !== undefined || intents === undefined
        ? { duration: numberOption(values, 'duration', 10, { min: 0.001 })! }
        : {}),
      duplicates: numberOption(values, 'duplicates', 0, { min: 0, max: 1 })!,
      malformed: numberOption(values, 'malformed', 0, { min: 0, max: 1 })!,
      seed: numberOption(values, 'seed', Date.now() & 0x7fffffff, { min: 0, integer: true })!,
      timeScale: numberOption(values, 'time-scale', 0.1, { min: 0 })!,
      partitions: numberOption(values, 'partitions', 3, { min: 1, max: 10_000, integer: true })!,
    };
    const config = loadConfig(env);
    if (config.KAFKA_BROKERS === undefined) throw new UsageError('simulate needs a broker: set KAFKA_BROKERS or pass --brokers host:port');
    // logs go to stderr so that stdout carries only the summary
    const logger = createLogger(config.LOG_LEVEL, { pretty: io.stderr.isTTY === true, destination: 'stderr' });
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const summary = await simulate(config, logger, opts, abort.signal);
      io.stdout.write(values['json'] ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
      return 0;
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  },
};

function formatSummary(s: SimulateSummary): string {
  const outcomes = Object.entries(s.byOutcome)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `simulated ${s.intents} intents (${outcomes}; ${s.removed} removed afterwards)`,
    `sent ${s.events} events + ${s.duplicates} duplicates + ${s.malformed} malformed = ${s.records} records to ${s.topics.lifecycle}, ${s.topics.proofs}`,
    `in ${s.seconds.toFixed(1)}s (${s.eventsPerSecond} events/s), seed ${s.seed}`,
    '',
  ].join('\n');
}
