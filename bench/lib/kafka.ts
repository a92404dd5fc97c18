/**
 * Kafka helpers shared by the broker benchmarks (bench/replay.ts, bench/latency.ts):
 * a broker (KAFKA_BROKERS, or the local jar broker started for the run), quiet kafkajs clients,
 * topics, fast bulk production, end offsets and a plain "drain" consumer as the baseline.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Kafka as KafkaClient, Producer } from 'kafkajs';
import { DEFAULT_FETCH } from '../../src/ingest/consumer-runner.js';
import { createTopics as createUsableTopics } from '../../src/ingest/topics.js';

const { Kafka, logLevel, CompressionTypes, Partitioners } = kafkajs;

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export const log = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`);
};

export interface Broker {
  readonly brokers: string[];
  /** whether this process started it (and `stop()` stops it) */
  readonly started: boolean;
  stop(): Promise<void>;
}

function runScript(script: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', [script], { cwd: REPO, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/**
 * The broker of KAFKA_BROKERS, or a local jar broker on BENCH_KAFKA_PORT (default 29092) with a 2 GiB
 * heap. A broker this process started is stopped (and its data wiped) by `stop()`, unless
 * BENCH_KEEP_BROKER=1 (then re-runs reuse it and its dataset topics).
 */
export async function benchBroker(): Promise<Broker> {
  const configured = process.env['KAFKA_BROKERS'];
  if (configured !== undefined && configured.trim() !== '') {
    return {
      brokers: configured
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      started: false,
      stop: async () => undefined,
    };
  }
  const port = process.env['BENCH_KAFKA_PORT'] ?? '29092';
  const env = {
    ...process.env,
    KAFKA_PORT: port,
    KAFKA_HEAP_OPTS: process.env['KAFKA_HEAP_OPTS'] ?? '-Xms1g -Xmx2g',
    KAFKA_KEEP_DATA: process.env['BENCH_KEEP_BROKER'] === '1' ? '1' : '0',
  };
  log(`starting the local broker on 127.0.0.1:${port} (scripts/kafka/start.sh) ...`);
  const { stdout, stderr } = await runScript('scripts/kafka/start.sh', env);
  const already = stderr.includes('already running');
  const line = stdout.trim().split('\n').pop() ?? '';
  const brokers = [line.replace(/^KAFKA_BROKERS=/, '')];
  const keep = already || process.env['BENCH_KEEP_BROKER'] === '1';
  log(already ? `reusing the running broker ${brokers[0]}` : `broker ready on ${brokers[0]}`);
  return {
    brokers,
    started: !keep,
    stop: async () => {
      if (keep) return;
      log('stopping the local broker');
      await runScript('scripts/kafka/stop.sh', env).catch((e: unknown) => log(String(e)));
    },
  };
}

export function client(brokers: string[], clientId: string): KafkaClient {
  return new Kafka({ clientId, brokers, logLevel: logLevel.ERROR, connectionTimeout: 5000, requestTimeout: 60_000, retry: { retries: 5 } });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Creates topics (if missing) and waits until they are usable (src/ingest/topics.ts). */
export async function createTopics(admin: Admin, names: readonly string[], partitions: number): Promise<void> {
  await createUsableTopics(
    admin,
    names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
  );
}

export interface PartitionEnd {
  readonly topic: string;
  readonly partition: number;
  /** earliest retained offset */
  readonly low: bigint;
  /** end offset (high watermark) */
  readonly high: bigint;
}

export async function partitionEnds(admin: Admin, topics: readonly string[]): Promise<PartitionEnd[]> {
  const out: PartitionEnd[] = [];
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      out.push({ topic, partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) });
    }
  }
  return out;
}

/** Records retained per topic, or null when a topic does not exist. */
export async function recordCounts(admin: Admin, topics: readonly string[]): Promise<Map<string, number> | null> {
  const existing = new Set(await admin.listTopics());
  if (!topics.every((t) => existing.has(t))) return null;
  const counts = new Map<string, number>(topics.map((t) => [t, 0]));
  for (const e of await partitionEnds(admin, topics)) counts.set(e.topic, counts.get(e.topic)! + Number(e.high - e.low));
  return counts;
}

export interface Message {
  readonly key: string;
  readonly value: string;
}

/**
 * A producer for bulk writes: messages carry their partition (assigned by `produceFast` with the
 * default partitioner), so the producer's partitioner only reads it back.
 */
export function fastProducer(kafka: KafkaClient): Producer {
  const keyed = Partitioners.DefaultPartitioner();
  return kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: () => (args) => args.message.partition ?? keyed(args),
  });
}

/**
 * Writes messages fast: `sendBatch` calls of up to `batchSize` messages (default 1000, see below) and `maxBatchBytes` of
 * values (one call = one record batch per partition, which must stay under the broker's
 * `message.max.bytes`, 1 MiB by default), acks 1, no compression. Messages are assigned to partitions here (the default partitioner: murmur2 of the key, like
 * any Java/kafkajs producer) and each partition is written by one sequential lane, the lanes in
 * parallel: several calls in flight, yet every partition keeps the publication order.
 */
export async function produceFast(
  producer: Producer,
  byTopic: ReadonlyMap<string, readonly Message[]>,
  partitions: number,
  opts: { batchSize?: number; maxBatchBytes?: number; onProgress?: (sent: number) => void } = {},
): Promise<number> {
  // kafkajs groups a call's messages per partition by copying the partition's array for every
  // message (groupMessagesPerPartition.js: `[...current, message]`): quadratic in the messages per
  // partition and call. So calls stay at ~1000 messages; the lanes keep enough of them in flight.
  const batchSize = opts.batchSize ?? 1000;
  const maxBatchBytes = opts.maxBatchBytes ?? 900_000;
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
    partitionId: i,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));
  const lanes: { topic: string; partition: number; messages: { key: string; value: string; partition: number }[] }[] = [];
  for (const [topic, messages] of byTopic) {
    const mine = Array.from({ length: partitions }, (_, partition) => ({
      topic,
      partition,
      messages: [] as { key: string; value: string; partition: number }[],
    }));
    for (const m of messages) {
      const partition = partitioner({ topic, partitionMetadata, message: { key: m.key, value: m.value } });
      mine[partition]!.messages.push({ key: m.key, value: m.value, partition });
    }
    lanes.push(...mine);
  }
  let sent = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      for (let i = 0; i < lane.messages.length; ) {
        let end = i;
        let bytes = 0;
        while (end < lane.messages.length && end - i < batchSize) {
          const m = lane.messages[end]!;
          bytes += m.value.length + m.key.length + 20;
          if (bytes > maxBatchBytes && end > i) break;
          end++;
        }
        const messages = lane.messages.slice(i, end);
        i = end;
        await producer.sendBatch({ acks: 1, compression: CompressionTypes.None, topicMessages: [{ topic: lane.topic, messages }] });
        sent += messages.length;
        opts.onProgress?.(sent);
      }
    }),
  );
  return sent;
}

export interface DrainResult {
  readonly records: number;
  readonly seconds: number;
  /** from start to the first batch (admin offsets, connect, group join, first fetch) */
  readonly firstBatchMs: number;
}

/**
 * The baseline: a plain kafkajs consumer in a fresh group with the service's fetch settings
 * (DEFAULT_FETCH, partitionsConsumedConcurrently 1), both topics from the beginning, `eachBatch`
 * that only counts and resolves offsets, until every partition reached the end offset recorded at
 * start (admin.fetchTopicOffsets, timed as part of the run like the service's own start).
 */
export async function drain(kafka: KafkaClient, topics: readonly string[]): Promise<DrainResult> {
  const t0 = performance.now();
  const admin = kafka.admin();
  await admin.connect();
  const ends = await partitionEnds(admin, topics);
  await admin.disconnect();
  const remaining = new Map<string, bigint>();
  for (const e of ends) if (e.high > e.low) remaining.set(`${e.topic}/${e.partition}`, e.high);
  let records = 0;
  let firstBatch = 0;
  const consumer = plainConsumer(kafka, 'bench-drain');
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  if (remaining.size === 0) done();
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      if (firstBatch === 0) firstBatch = performance.now();
      records += batch.messages.length;
      const last = batch.lastOffset();
      resolveOffset(last);
      const key = `${batch.topic}/${batch.partition}`;
      const end = remaining.get(key);
      if (end !== undefined && BigInt(last) + 1n >= end) {
        remaining.delete(key);
        if (remaining.size === 0) done();
      }
      await heartbeat();
    },
  });
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return { records, seconds, firstBatchMs: Math.round((firstBatch || performance.now()) - t0) };
}

/** p-th percentile (0..100) of sorted numbers, nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function latencySummary(xs: number[]): LatencySummary {
  const s = Float64Array.from(xs).sort();
  let sum = 0;
  for (const x of s) sum += x;
  return {
    count: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.length > 0 ? s[s.length - 1]! : NaN,
    mean: s.length > 0 ? Number((sum / s.length).toFixed(1)) : NaN,
  };
}

/** A plain kafkajs consumer in a fresh group with the service's own fetch settings (the baseline). */
export function plainConsumer(kafka: KafkaClient, groupPrefix: string): Consumer {
  return kafka.consumer({
    groupId: uniqueName(groupPrefix),
    allowAutoTopicCreation: false,
    maxBytesPerPartition: DEFAULT_FETCH.maxBytesPerPartition,
    maxBytes: DEFAULT_FETCH.maxBytes,
    minBytes: DEFAULT_FETCH.minBytes,
    maxWaitTimeInMs: DEFAULT_FETCH.maxWaitTimeInMs,
    sessionTimeout: 10_000,
    heartbeatInterval: 3333,
  });
}
