/**
 * Test helpers for talking to the broker provided by ./global-setup.ts.
 *
 *   brokers()                    bootstrap servers for this run, e.g. ['127.0.0.1:19092']
 *   uniqueTopic('intents')       'intents-<time>-<random>': no test ever sees another's records
 *   createTopics([t], 3)         create topics (waits until they are usable)
 *   kafka('my-test')             a kafkajs Kafka client (quiet logging) on the provided broker
 */
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { Kafka as KafkaClient, logLevel as LogLevel } from 'kafkajs';
import { inject } from 'vitest';
import { createTopics as createUsableTopics } from '../../src/ingest/topics.js';
// Brings in the `declare module 'vitest' { interface ProvidedContext }` augmentation (types only).
import type {} from './global-setup.js';

const { Kafka, logLevel } = kafkajs;

/** Bootstrap servers provided by the global setup. */
export function brokers(): string[] {
  const value = inject('kafkaBrokers');
  if (!value) throw new Error('kafkaBrokers not provided: is test/support/global-setup.ts in vitest.config.ts globalSetup?');
  return value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

/** Topic name with a random suffix, e.g. `lifecycle-m3x9k2-1a2b3c4d`. */
export function uniqueTopic(prefix: string): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, '-');
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A kafkajs client on the provided broker. Logging is off unless a level is given. */
export function kafka(clientId = 'test', level: LogLevel = logLevel.NOTHING): KafkaClient {
  return new Kafka({
    clientId,
    brokers: brokers(),
    logLevel: level,
    connectionTimeout: 5000,
    retry: { retries: 5 },
  });
}

/**
 * Creates the topics (idempotent) on the brokers of `client` (default: the provided broker) and
 * waits until every partition has a leader and answers ListOffsets (see src/ingest/topics.ts for
 * why `waitForLeaders` alone is not enough on a just-started KRaft broker).
 */
export async function createTopics(names: string[], partitions = 1, client: KafkaClient = kafka('test-admin')): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  try {
    await createUsableTopics(
      admin,
      names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    );
  } finally {
    await admin.disconnect();
  }
}
