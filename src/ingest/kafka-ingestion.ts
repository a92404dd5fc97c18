/**
 * Kafka mode's ingestion (the seam of ingestion.ts): one kafkajs client, the source on the two input
 * topics and the dead-letter sink, from the configuration.
 *
 *   const ingestion = await openKafkaIngestion(config, logger);
 *       // fails fast: DLQ topic missing; reads the DLQ topic
 *   const service = await startService({ config, logger, source: ingestion.source, dlq: ingestion.dlq });
 *   ...
 *   await service.stop();          // stops the source
 *   await ingestion.close();       // then the DLQ producer
 */
import type { RetryOptions } from 'kafkajs';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { KafkaDlq } from './dlq-writer.js';
import type { Ingestion } from './ingestion.js';
import { createKafka, type KafkaClient } from './kafka-client.js';
import { KafkaSource, kafkaSourceOptionsFromConfig, type KafkaSourceOptions } from './kafka-source.js';

export interface KafkaIngestion extends Ingestion {
  readonly kafka: KafkaClient;
  readonly source: KafkaSource;
  readonly dlq: KafkaDlq;
}

export type IngestionConfig = Pick<
  Config,
  | 'KAFKA_BROKERS'
  | 'KAFKA_CLIENT_ID'
  | 'KAFKA_TOPIC_LIFECYCLE'
  | 'KAFKA_TOPIC_PROOFS'
  | 'KAFKA_TOPIC_DLQ'
  | 'KAFKA_GROUP_ID'
  | 'METADATA_REFRESH_MS'
  | 'STALL_READY_MS'
  | 'FETCH_MAX_BYTES'
  | 'FETCH_MAX_BYTES_PER_PARTITION'
>;

export interface KafkaIngestionOptions {
  /** source settings on top of those from the config (tests, tuning) */
  readonly source?: Partial<Omit<KafkaSourceOptions, 'kafka' | 'logger'>>;
  /** DLQ producer retries (default DLQ_RETRY) */
  readonly dlqRetry?: RetryOptions;
}

export async function openKafkaIngestion(
  config: IngestionConfig,
  logger: Logger,
  overrides: KafkaIngestionOptions = {},
): Promise<KafkaIngestion> {
  const kafka = createKafka(config, logger);
  const base = kafkaSourceOptionsFromConfig(config, kafka, logger);
  const source = new KafkaSource({ ...base, ...overrides.source });
  const dlq = new KafkaDlq({
    kafka,
    topic: config.KAFKA_TOPIC_DLQ,
    logger,
    brokers: base.brokers,
    sourceTopics: base.topics,
    ...(overrides.dlqRetry !== undefined ? { retry: overrides.dlqRetry } : {}),
  });
  await dlq.open(); // before the source consumes: records already in the DLQ are not written again
  let closing: Promise<void> | null = null;
  return {
    kafka,
    source,
    dlq,
    close: () =>
      (closing ??= (async () => {
        await source.stop();
        await dlq.close();
      })()),
  };
}

/** The configured bootstrap servers (Kafka mode only). */
export function brokersOf(config: Pick<Config, 'KAFKA_BROKERS'>): string[] {
  if (config.KAFKA_BROKERS === undefined) throw new Error('KAFKA_BROKERS is not set');
  return config.KAFKA_BROKERS;
}
