/**
 * `intent-projector replay`: rebuild every projection from the topics with the service's own
 * source and pipeline (emitting nothing) until caught up, then print a summary.
 */
import { SingleBar, Presets } from 'cli-progress';
import { type Config, type InputTopics, inputTopics, loadConfig, topicList } from '../config.js';
import { createKafka } from '../ingest/kafka-client.js';
import { KafkaSource, kafkaSourceOptionsFromConfig } from '../ingest/kafka-source.js';
import { MemoryDeadLetterSink } from '../ingest/memory-dlq.js';
import type { EventSource, ReplayProgress } from '../ingest/source.js';
import type { Logger } from '../log.js';
import { Stream } from '../fanout/stream.js';
import { NO_EMISSIONS, Pipeline, type PipelineRun, runPipeline } from '../pipeline.js';
import { ProjectionStore } from '../reduce/store.js';
import type { MempoolStats } from '../reduce/stats.js';
import { percent } from '../service.js';
import { configFlags, configHelp, KAFKA_VARS, numberOption, parseCommand, type Command } from './common.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { brokersOf } from '../ingest/kafka-ingestion.js';
import { preflight } from '../ingest/preflight.js';

const FLAGS = configFlags(KAFKA_VARS);

export interface ReplaySummary {
  /** live projections by internal status (the /stats counts) */
  readonly intents: MempoolStats;
  /** events that changed a projection (duplicates excluded) */
  readonly eventsApplied: number;
  readonly recordsRead: number;
  /** records that could not be decoded (counted; replay does not write the DLQ) */
  readonly deadLetters: number;
  readonly seconds: number;
  /** events applied per second of replay */
  readonly eventsPerSecond: number;
  /** records read per second of replay */
  readonly recordsPerSecond: number;
  readonly topics: readonly string[];
}

export interface ReplayObserver {
  /** called every `intervalMs` while replaying */
  onProgress?(p: ReplayProgress, eventsApplied: number): void;
  readonly intervalMs?: number;
}

/** Pipeline settings of a replay: the input topics and the store's tombstone retention. */
export interface ReplayOptions {
  readonly topics?: InputTopics;
  readonly tombstoneRetentionMs?: number;
  readonly maxClockSkewMs?: number;
  /** fold on from this store (restored from a snapshot) instead of an empty one */
  readonly store?: ProjectionStore;
}

/** Folds a source from its start to its caught-up point; nothing is emitted or dead-lettered. */
export async function replaySource(
  source: EventSource,
  observer: ReplayObserver = {},
  clock: () => number = Date.now,
  options: ReplayOptions = {},
): Promise<Omit<ReplaySummary, 'topics'>> {
  const started = clock();
  const dlq = new MemoryDeadLetterSink();
  const storeOptions = {
    ...(options.tombstoneRetentionMs !== undefined ? { tombstoneRetentionMs: options.tombstoneRetentionMs } : {}),
    ...(options.maxClockSkewMs !== undefined ? { maxClockSkewMs: options.maxClockSkewMs } : {}),
  };
  const store = options.store ?? new ProjectionStore(storeOptions);
  const pipeline = new Pipeline({
    store,
    sink: NO_EMISSIONS,
    dlq,
    clock,
    ...(options.topics ? { topics: options.topics } : {}),
    ...(options.maxClockSkewMs !== undefined ? { maxClockSkewMs: options.maxClockSkewMs } : {}),
    // nobody resumes from this fold: no resume window (docs/resume.md)
    stream: new Stream(options.topics, 0),
  });
  const ticker = setInterval(() => observer.onProgress?.(source.progress(), store.eventsApplied), observer.intervalMs ?? 200);
  let run: PipelineRun | null = null;
  try {
    run = await runPipeline(pipeline, source);
    const failed = run.fatal.then((error) => Promise.reject(error));
    await Promise.race([run.caughtUp, failed]);
    observer.onProgress?.(source.progress(), store.eventsApplied);
  } finally {
    clearInterval(ticker);
    await (run?.stop() ?? source.stop());
  }
  const seconds = (clock() - started) / 1000;
  return {
    intents: store.stats(),
    eventsApplied: store.eventsApplied,
    recordsRead: pipeline.records,
    deadLetters: dlq.total,
    seconds: Number(seconds.toFixed(3)),
    eventsPerSecond: Math.round(store.eventsApplied / Math.max(seconds, 0.001)),
    recordsPerSecond: Math.round(pipeline.records / Math.max(seconds, 0.001)),
  };
}

/** Replays the configured Kafka topics. */
export async function replay(config: Config, logger: Logger, observer: ReplayObserver = {}): Promise<ReplaySummary> {
  const brokers = brokersOf(config);
  await preflight({ brokers, clientId: config.KAFKA_CLIENT_ID });
  const kafka = createKafka(config, logger);
  const source = new KafkaSource(kafkaSourceOptionsFromConfig(config, kafka, logger));
  const topics = inputTopics(config);
  const summary = await replaySource(source, observer, Date.now, {
    topics,
    tombstoneRetentionMs: config.TOMBSTONE_RETENTION_MS,
    maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
  });
  return { ...summary, topics: topicList(topics) };
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'rebuild every projection from the topics and print a summary (counts, rate)',
  help: `Usage: intent-projector replay [options]

Reads the lifecycle and proof topics from the earliest retained offsets up to their current end
with the service's own source and pipeline (nothing is emitted, nothing is written to the DLQ),
then prints intents by status, events applied, dead letters, time and events/s. Shows a progress
bar on a terminal, periodic log lines otherwise.

Options:
  --json              print the summary as one JSON line
  --log-every <s>     seconds between progress log lines when not on a terminal (default 2)
${configHelp(FLAGS)}
  -h, --help          show this help

Exit codes: 0 done, 1 runtime failure (e.g. broker unreachable, topic missing), 2 invalid option or configuration.`,
  async run(argv, io) {
    const { values, env } = parseCommand('replay', argv, { json: { type: 'boolean' }, 'log-every': { type: 'string' } }, FLAGS, io.env);
    if (values['help']) {
      io.stdout.write(`${replayCommand.help}\n`);
      return 0;
    }
    const logEvery = numberOption(values, 'log-every', 2, { min: 0.1 })!;
    const config = loadConfig(env);
    if (config.KAFKA_BROKERS === undefined) throw new UsageError('replay needs a broker: set KAFKA_BROKERS or pass --brokers host:port');
    const tty = io.stderr.isTTY === true;
    // with a progress bar, only warnings may interrupt it
    const logger = createLogger(tty && config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, { pretty: tty, destination: 'stderr' });
    let bar: SingleBar | null = null;
    let lastLog = 0;
    const observer: ReplayObserver = {
      intervalMs: tty ? 100 : 250,
      onProgress: (p, applied) => {
        if (tty) {
          if (bar === null) {
            bar = new SingleBar(
              {
                format:
                  'replaying |{bar}| {percentage}% | {value}/{total} records | {applied} applied | {rate} rec/s | ETA {eta_formatted}',
                stream: io.stderr as NodeJS.WritableStream & { isTTY: true },
                hideCursor: true,
                clearOnComplete: false,
              },
              Presets.shades_classic,
            );
            bar.start(Math.max(p.recordsToReplay, 1), 0, { applied: 0, rate: 0 });
          }
          bar.setTotal(Math.max(p.recordsToReplay, p.recordsRead, 1));
          bar.update(p.recordsRead, { applied, rate: Math.round(p.recordsRead / Math.max(0.001, (Date.now() - startedAt) / 1000)) });
        } else if (Date.now() - lastLog >= logEvery * 1000 || p.caughtUp) {
          lastLog = Date.now();
          logger.info(
            { progress: `${percent(p)}%`, recordsRead: p.recordsRead, recordsToReplay: p.recordsToReplay, eventsApplied: applied },
            'replaying',
          );
        }
      },
    };
    const startedAt = Date.now();
    let summary: ReplaySummary;
    try {
      summary = await replay(config, logger, observer);
    } finally {
      (bar as SingleBar | null)?.stop();
    }
    io.stdout.write(values['json'] ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    return 0;
  },
};

function formatSummary(s: ReplaySummary): string {
  const i = s.intents;
  return [
    `replayed ${s.topics.join(', ')}: ${s.recordsRead} records in ${s.seconds.toFixed(2)}s (${s.recordsPerSecond} records/s)`,
    `intents: ${i.total} (submitted ${i.submitted}, matched ${i.matched}, executing ${i.executing}, ` +
      `completed ${i.completed}, failed ${i.failed}, cancelled ${i.cancelled})`,
    `events applied: ${s.eventsApplied} (${s.eventsPerSecond} events/s), dead letters: ${s.deadLetters}`,
    '',
  ].join('\n');
}
