/**
 * The kafkajs `Kafka` client of one service instance: bootstrap servers and client id from the
 * config, kafkajs logs routed into pino, and the retry budgets of the consumer and the DLQ producer
 * (docs/ingestion.md "Faults").
 *
 * kafkajs logs every failed retry at ERROR. During a broker outage that is dozens of lines a
 * second, while the service itself reports the outage once (source → `onConnectionChange`). So
 * the adapter lowers kafkajs levels one step (ERROR → warn, WARN → info, INFO → debug,
 * DEBUG → trace) and prints the same message of the same kafkajs namespace at most once per
 * `REPEAT_WINDOW_MS`, with the number of repeats it held back.
 */
import kafkajs from 'kafkajs';
import type { Kafka as KafkaClient, KafkaConfig, LogEntry, RetryOptions, logCreator } from 'kafkajs';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { registerCodecs } from './codecs.js';

const { Kafka, logLevel } = kafkajs;

export type { KafkaClient };

/**
 * Consumer requests: a failing fetch/heartbeat is retried this long (≈ 0.3 + 0.6 + 1.2 + 2.4 +
 * 3 + 3 s ≈ 10 s) before kafkajs gives up and "crashes" the consumer. The source then restarts
 * the consumer itself, forever, from the positions it already applied (kafka-source.ts), so
 * this budget only decides how often a long outage is re-tried from scratch, not whether it is
 * survived.
 */
export const CONSUMER_RETRY: Readonly<RetryOptions> = {
  initialRetryTime: 300,
  maxRetryTime: 3000,
  factor: 0.2,
  multiplier: 2,
  retries: 6,
};

/**
 * DLQ writes: short (≈ 0.3 + 0.6 + 1.2 s, kafkajs adds ±20 % jitter). The consumer waits for a
 * write, so a long budget would hold every partition; after it the DLQ counts as unwritable and
 * retries its refused dead letters in the background for as long as it takes, while only the
 * partitions with a bad record wait (dlq-writer.ts, batch-handler.ts).
 */
export const DLQ_RETRY: Readonly<RetryOptions> = {
  initialRetryTime: 300,
  maxRetryTime: 2000,
  factor: 0.2,
  multiplier: 2,
  retries: 3,
};

/** Admin calls at start (topic checks, end offsets): fail within ~10 s if the broker is absent. */
export const ADMIN_RETRY: Readonly<RetryOptions> = {
  initialRetryTime: 300,
  maxRetryTime: 3000,
  factor: 0.2,
  multiplier: 2,
  retries: 5,
};

export const REPEAT_WINDOW_MS = 10_000;

export interface KafkaClientOptions {
  /** kafkajs connection timeout, ms (default 3000) */
  readonly connectionTimeout?: number;
  /** kafkajs request timeout, ms (default 30000) */
  readonly requestTimeout?: number;
  /** client-level retries (connecting, metadata); default ADMIN_RETRY */
  readonly retry?: RetryOptions;
  readonly clock?: () => number;
}

/** Creates the kafkajs client for `config.KAFKA_BROKERS`. Throws if no brokers are configured. */
export function createKafka(
  config: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
  logger: Logger,
  opts: KafkaClientOptions = {},
): KafkaClient {
  const brokers = config.KAFKA_BROKERS;
  if (brokers === undefined || brokers.length === 0) {
    throw new Error('KAFKA_BROKERS is not set: the Kafka source needs at least one host:port');
  }
  registerCodecs(); // snappy, lz4, zstd batches (kafkajs itself reads only gzip)
  const kafkaConfig: KafkaConfig = {
    clientId: config.KAFKA_CLIENT_ID,
    brokers,
    connectionTimeout: opts.connectionTimeout ?? 3000,
    requestTimeout: opts.requestTimeout ?? 30_000,
    retry: { ...(opts.retry ?? ADMIN_RETRY) },
    // kafkajs DEBUG lines (→ pino trace) are only produced when someone reads them
    logLevel: logger.isLevelEnabled('trace') ? logLevel.DEBUG : logLevel.INFO,
    logCreator: pinoLogCreator(logger.child({ component: 'kafkajs' }), opts.clock ?? Date.now),
  };
  return new Kafka(kafkaConfig);
}

type PinoLevel = 'warn' | 'info' | 'debug' | 'trace';

function pinoLevel(level: number): PinoLevel {
  if (level <= logLevel.ERROR) return 'warn';
  if (level === logLevel.WARN) return 'info';
  if (level === logLevel.INFO) return 'debug';
  return 'trace';
}

/** kafkajs `logCreator` writing to pino, one level lower, with repeats folded (see top of file). */
export function pinoLogCreator(logger: Logger, clock: () => number = Date.now): logCreator {
  const lastPrinted = new Map<string, { at: number; held: number }>();
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const target = pinoLevel(level);
      if (!logger.isLevelEnabled(target)) return;
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log as Record<string, unknown> & { message: string };
      const key = `${namespace}\u0000${message}`;
      const now = clock();
      const seen = lastPrinted.get(key);
      if (seen !== undefined && now - seen.at < REPEAT_WINDOW_MS) {
        seen.held++;
        return;
      }
      if (lastPrinted.size > 1000) lastPrinted.clear();
      lastPrinted.set(key, { at: now, held: 0 });
      const repeats = seen?.held ?? 0;
      logger[target]({ namespace, ...extra, ...(repeats > 0 ? { repeatsHeldBack: repeats } : {}) }, message);
    };
}
