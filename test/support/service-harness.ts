/**
 * Drives real ingestion against the test broker (./broker.ts) for the `*.int.test.ts` suites.
 *
 *   const topics = await createTestTopics('replay', 4);          // lifecycle, proofs (4 partitions), dlq
 *   await produceEvents(kafka('t'), topics, events);             // keyed by intentId, per-topic order kept
 *
 *   // ingestion only: KafkaSource + KafkaDlq + Pipeline, emissions recorded (no transport)
 *   const p = await startKafkaPipeline(topics);
 *   await p.caughtUp;  p.emissions  p.connection  p.fatal  await p.stop();
 *
 *   // the real service (startService): HTTP + Socket.IO on PORT 0 with a Kafka source
 *   const s = await startKafkaService(topics);
 *   const client = await connectClient(s.service.url, { all: true });   // subscribe:all, records every event
 *
 *   expectedProjections(events)  /  projectionsOf(store)   // formatted, timestamp 0, sorted by intentId
 */
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import type { IHeaders, Kafka, Message, RetryOptions } from 'kafkajs';
import { type Config, inputTopics, loadConfig } from '../../src/config.js';
import type { IntentEventInput } from '../../src/contract/events.js';
import type { Ack, ClientToServerEvents, FormattedIntent, ServerToClientEvents } from '../../src/contract/socket.js';
import type { Emission } from '../../src/fanout/emissions.js';
import { formatIntent } from '../../src/fanout/format.js';
import { openKafkaIngestion, type KafkaIngestionOptions, type KafkaIngestion } from '../../src/ingest/kafka-ingestion.js';
import type { KafkaSourceOptions } from '../../src/ingest/kafka-source.js';
import { createLogger, type Logger } from '../../src/log.js';
import { Pipeline, type EmissionSink, type PipelineRun, runPipeline } from '../../src/pipeline.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { startService, type Service } from '../../src/service.js';
import { Metrics } from '../../src/transport/metrics.js';
import { brokers, createTopics, uniqueTopic } from './broker.js';
import { decodeEvent } from './histories.js';

export interface TestTopics {
  readonly lifecycle: string;
  readonly proofs: string;
  readonly dlq: string;
}

/** Fresh lifecycle/proof topics with `partitions` partitions and a 1-partition DLQ topic. */
export async function createTestTopics(prefix: string, partitions = 4, create = createTopics): Promise<TestTopics> {
  const topics = {
    lifecycle: uniqueTopic(`${prefix}.lifecycle`),
    proofs: uniqueTopic(`${prefix}.proofs`),
    dlq: uniqueTopic(`${prefix}.dlq`),
  };
  await create([topics.lifecycle, topics.proofs], partitions);
  await create([topics.dlq], 1);
  return topics;
}

/** Service configuration for `topics` on the test broker (or `brokerList`), PORT 0. */
export function testConfig(topics: TestTopics, env: Record<string, string> = {}, brokerList: string[] = brokers()): Config {
  return loadConfig({
    KAFKA_BROKERS: brokerList.join(','),
    KAFKA_TOPIC_LIFECYCLE: topics.lifecycle,
    KAFKA_TOPIC_PROOFS: topics.proofs,
    KAFKA_TOPIC_DLQ: topics.dlq,
    HOST: '127.0.0.1',
    PORT: '0',
    RATE_LIMIT_PER_SECOND: '10000',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

/** Silent unless TEST_LOG_LEVEL is set (e.g. TEST_LOG_LEVEL=debug npx vitest run ...). */
export function testLogger(name = 'test'): Logger {
  return createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', { pretty: false, name });
}

// ---------------------------------------------------------------------------------------------
// Producing

export function topicOf(event: IntentEventInput, topics: TestTopics): string {
  return event.type.startsWith('proof.') ? topics.proofs : topics.lifecycle;
}

/** A record as a producer of the protocol writes it: key = intentId, value = JSON. */
export function toMessage(event: IntentEventInput): Message {
  return { key: event.intentId.toLowerCase(), value: JSON.stringify(event) };
}

/**
 * Produces events to their topics (acks=all), keyed by intentId, in order: per topic the
 * records of one key land in one partition in the given order.
 */
export async function produceEvents(client: Kafka, topics: TestTopics, events: readonly IntentEventInput[], chunk = 2000): Promise<void> {
  const producer = client.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += chunk) {
      const slice = events.slice(i, i + chunk);
      const byTopic = new Map<string, Message[]>();
      for (const e of slice) {
        const t = topicOf(e, topics);
        let list = byTopic.get(t);
        if (list === undefined) byTopic.set(t, (list = []));
        list.push(toMessage(e));
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface ReadRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
  }
  return out;
}

/** Reads a topic from the beginning until `count` records arrived (rejects after `timeoutMs`). */
export async function readTopic(client: Kafka, topic: string, count: number, timeoutMs = 15_000): Promise<ReadRecord[]> {
  const consumer = client.consumer({ groupId: uniqueTopic('reader'), maxWaitTimeInMs: 200 });
  const out: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        out.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers: headerStrings(message.headers),
        });
      },
    });
    await eventually(
      () => out.length >= count,
      timeoutMs,
      () => `${count} records on ${topic} (got ${out.length})`,
    );
    return out.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  } finally {
    await consumer.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Expected state

/** Formatted projections of a store, `timestamp` 0, sorted by intentId. */
export function projectionsOf(store: ProjectionStore): Omit<FormattedIntent, 'position'>[] {
  return [...store.projections()].map((p) => formatIntent(p, 0)).sort((a, b) => (a.intentId < b.intentId ? -1 : 1));
}

/** The projections an in-process fold of `events` (in this order) gives. */
export function expectedProjections(events: readonly IntentEventInput[]): Omit<FormattedIntent, 'position'>[] {
  const store = new ProjectionStore();
  for (const e of events) store.apply(decodeEvent(e));
  return projectionsOf(store);
}

// ---------------------------------------------------------------------------------------------
// Ingestion without transport

export class EmissionRecorder implements EmissionSink {
  readonly emissions: Emission[] = [];
  statsChanges = 0;
  deliver(emissions: readonly Emission[]): void {
    this.emissions.push(...emissions);
  }
  statsChanged(): void {
    this.statsChanges++;
  }
  caughtUp(): void {}
}

export interface RunningPipeline {
  readonly ingestion: KafkaIngestion;
  readonly pipeline: Pipeline;
  readonly recorder: EmissionRecorder;
  /** resolves at onCaughtUp */
  readonly caughtUp: Promise<void>;
  /** every onConnectionChange, in order */
  readonly connection: boolean[];
  /** set by onFatal */
  readonly fatal: Error | null;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  readonly env?: Record<string, string>;
  readonly brokers?: string[];
  readonly source?: Partial<Omit<KafkaSourceOptions, 'kafka' | 'logger'>>;
  readonly dlqRetry?: RetryOptions;
  readonly logger?: Logger;
}

function overrides(opts: PipelineOptions): KafkaIngestionOptions {
  return {
    ...(opts.source !== undefined ? { source: opts.source } : {}),
    ...(opts.dlqRetry !== undefined ? { dlqRetry: opts.dlqRetry } : {}),
  };
}

export async function startKafkaPipeline(topics: TestTopics, opts: PipelineOptions = {}): Promise<RunningPipeline> {
  const config = testConfig(topics, opts.env, opts.brokers);
  const logger = opts.logger ?? testLogger('pipeline');
  const ingestion = await openKafkaIngestion(config, logger, overrides(opts));
  const recorder = new EmissionRecorder();
  const pipeline = new Pipeline({
    store: new ProjectionStore(),
    sink: recorder,
    dlq: ingestion.dlq,
    topics: inputTopics(config),
  });
  const connection: boolean[] = [];
  let fatal: Error | null = null;
  let run: PipelineRun;
  try {
    run = await runPipeline(pipeline, ingestion.source, {
      onConnectionChange: (c) => connection.push(c),
      onFatal: (e) => (fatal = e),
    });
  } catch (err) {
    await ingestion.close();
    throw err;
  }
  return {
    ingestion,
    pipeline,
    recorder,
    caughtUp: run.caughtUp,
    connection,
    get fatal() {
      return fatal;
    },
    stop: async () => {
      await run.stop();
      await ingestion.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The real service

export interface RunningService {
  readonly service: Service;
  readonly ingestion: KafkaIngestion;
  stop(): Promise<void>;
}

export async function startKafkaService(topics: TestTopics, opts: PipelineOptions = {}): Promise<RunningService> {
  const config = testConfig(topics, opts.env, opts.brokers);
  const logger = opts.logger ?? testLogger('service');
  const ingestion = await openKafkaIngestion(config, logger, overrides(opts));
  let service: Service;
  try {
    service = await startService({
      config,
      logger,
      source: ingestion.source,
      dlq: ingestion.dlq,
      metrics: new Metrics({ defaultMetrics: false }),
      progressIntervalMs: 500,
    });
  } catch (err) {
    await ingestion.close();
    throw err;
  }
  return {
    service,
    ingestion,
    stop: async () => {
      await service.stop();
      await ingestion.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Socket.IO clients

export type Client = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

export interface Received {
  readonly event: string;
  readonly payload: Record<string, unknown>;
}

export interface RecordingClient {
  readonly socket: Client;
  /** every server event, in arrival order */
  readonly received: Received[];
  of(event: keyof ServerToClientEvents): Record<string, unknown>[];
  close(): void;
}

/** A websocket client recording everything it receives; `all` subscribes to every intent. */
export async function connectClient(url: string, opts: { all?: boolean; intents?: readonly string[] } = {}): Promise<RecordingClient> {
  const socket: Client = ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 5000 });
  const received: Received[] = [];
  socket.onAny((event: string, payload: Record<string, unknown>) => received.push({ event, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const untyped = socket as unknown as ClientSocket;
  const ack = async (event: string, ...args: unknown[]): Promise<void> => {
    const a = (await untyped.timeout(10_000).emitWithAck(event, ...args)) as Ack;
    if (!a.ok) throw new Error(`${event} refused: ${a.code} ${a.message}`);
  };
  if (opts.all === true) await ack('subscribe:all');
  for (const id of opts.intents ?? []) await ack('subscribe:intent', id);
  return {
    socket,
    received,
    of: (event) => received.filter((r) => r.event === event).map((r) => r.payload),
    close: () => void socket.disconnect(),
  };
}

/** Resolves once `predicate` holds (polling every 20 ms); rejects after `timeoutMs` naming `what`. */
export async function eventually(predicate: () => boolean, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
