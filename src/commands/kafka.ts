/**
 * Kafka wiring of the `serve` command: a quick preflight (one clear line when the broker is not
 * reachable), then the ingestion layer's source and dead-letter producer.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openKafkaIngestion } from '../ingest/kafka-ingestion.js';
import type { DeadLetterSink, EventSource } from '../ingest/source.js';
import { preflight } from './preflight.js';

export interface KafkaSourceHandle {
  readonly source: EventSource;
  readonly dlq: DeadLetterSink;
  close(): Promise<void>;
}

export function brokersOf(config: Config): string[] {
  if (config.KAFKA_BROKERS === undefined) throw new Error('KAFKA_BROKERS is not set');
  return config.KAFKA_BROKERS;
}

export async function openKafkaSource(config: Config, logger: Logger): Promise<KafkaSourceHandle> {
  await preflight({ brokers: brokersOf(config), clientId: config.KAFKA_CLIENT_ID });
  return openKafkaIngestion(config, logger);
}
