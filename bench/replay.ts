/**
 * Benchmark 2 (BENCHMARKS.md): replay from the real broker. Rebuilds a generated history (both
 * topics, keyed by intentId) with the service's own code path (`replaySource`: KafkaSource +
 * Pipeline, nothing emitted) until caught up, next to a plain kafkajs consumer that only drains
 * the same topics with the same fetch settings (DEFAULT_FETCH). Runs alternate drain/service;
 * medians and the ratio of rates service/drain are reported. One extra, untimed service run is
 * CPU-profiled (node:inspector) and its samples split by where the time goes.
 *
 * Usage: npx tsx bench/replay.ts [--events 1000000] [--runs 3] [--partitions 4] [--profile 1]
 * Broker: KAFKA_BROKERS, or a local jar broker on 127.0.0.1:29092 started (and stopped) here;
 * BENCH_KEEP_BROKER=1 keeps it (and the dataset topics, named by a hash of the dataset) for re-runs.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { replaySource } from '../src/commands/replay.js';
import { configSchema, loadConfig } from '../src/config.js';
import { applyHeapGrowth } from '../src/heap-growth.js';
import { createKafka } from '../src/ingest/kafka-client.js';
import { KafkaSource, kafkaSourceOptionsFromConfig } from '../src/ingest/kafka-source.js';
import type { EventSource } from '../src/ingest/source.js';
import { createLogger } from '../src/log.js';
import { arg, dataset, median, summary, type Dataset } from './lib/dataset.js';
import { benchBroker, client, createTopics, drain, fastProducer, log, produceFast, recordCounts, type Message } from './lib/kafka.js';

const events = arg('events', 1_000_000);
const runs = arg('runs', 3);
const partitions = arg('partitions', 4);
const profile = arg('profile', 1) > 0;
const seed = arg('seed', 42);
const GOAL = 0.9;
const ROOT_URL = new URL('..', import.meta.url).href;
const ROOT = fileURLToPath(ROOT_URL);

const gc = (globalThis as { gc?: () => void }).gc;

interface ServiceRun {
  readonly records: number;
  readonly eventsApplied: number;
  readonly seconds: number;
  /** share of the wall time spent inside onBatch (= Pipeline.applyBatch: decode + fold) */
  readonly applyShare: number;
  /** the event loop's longest and p99 delay during the replay: how long /healthz or /readyz would wait */
  readonly loopDelayMaxMs: number;
  readonly loopDelayP99Ms: number;
  /** CPU seconds (user + system) of this process during the run: what contention does not change */
  readonly cpuSeconds: number;
}

const cpuSince = (start: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(start);
  return Number(((u.user + u.system) / 1e6).toFixed(3));
};

/** Wraps a source so the time spent in its `onBatch` handler is measured. */
function timed(inner: EventSource): { source: EventSource; busyMs: () => number } {
  let busy = 0;
  return {
    busyMs: () => busy,
    source: {
      start: (h) =>
        inner.start({
          ...h,
          onBatch: async (batch) => {
            const t = performance.now();
            try {
              await h.onBatch(batch);
            } finally {
              busy += performance.now() - t;
            }
          },
        }),
      stop: () => inner.stop(),
      progress: () => inner.progress(),
    },
  };
}

async function serviceRun(brokers: string[], topics: readonly [string, string]): Promise<ServiceRun> {
  const config = loadConfig({
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_LIFECYCLE: topics[0],
    KAFKA_TOPIC_PROOFS: topics[1],
    LOG_LEVEL: 'warn',
  });
  const logger = createLogger('warn', { pretty: false });
  const kafka = createKafka(config, logger);
  const t = timed(new KafkaSource(kafkaSourceOptionsFromConfig(config, kafka, logger)));
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const s = await replaySource(t.source);
  const cpuSeconds = cpuSince(cpu0);
  loop.disable();
  if (s.deadLetters > 0) throw new Error(`${s.deadLetters} dead letters in a valid dataset`);
  return {
    records: s.recordsRead,
    eventsApplied: s.eventsApplied,
    seconds: s.seconds,
    applyShare: Number((t.busyMs() / 1000 / s.seconds).toFixed(3)),
    loopDelayMaxMs: Math.round(loop.max / 1e6),
    loopDelayP99Ms: Math.round(loop.percentile(99) / 1e6),
    cpuSeconds,
  };
}

// ------------------------------------------------------------------------------------------------
// CPU profile → where the time goes

type Category =
  | 'kafkajs'
  | 'decode (JSON.parse)'
  | 'decode (zod)'
  | 'decode (other)'
  | 'fold (src/reduce)'
  | 'pipeline+source glue'
  | 'gc'
  | 'idle'
  | 'node internals/other';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

function categorize(
  nodes: ProfileNode[],
  samples: number[],
  timeDeltas: number[],
): { shares: Record<string, number>; topSelf: { fn: string; ms: number }[]; totalMs: number } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const direct = (n: ProfileNode): Category | null => {
    const { url, functionName } = n.callFrame;
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(idle)') return 'idle';
    if (url.includes('node_modules/kafkajs')) return 'kafkajs';
    if (url.includes('node_modules/zod')) return 'decode (zod)';
    if (url.includes('/src/ingest/decode') || url.includes('/src/contract/events')) return 'decode (other)';
    if (url.includes('/src/reduce/')) return 'fold (src/reduce)';
    if (
      url.includes('/src/pipeline') ||
      url.includes('/src/ingest/') ||
      url.includes('/src/commands/replay') ||
      url.includes('/bench/replay')
    )
      return 'pipeline+source glue';
    return null;
  };
  const memo = new Map<number, Category>();
  const categoryOf = (id: number): Category => {
    const hit = memo.get(id);
    if (hit !== undefined) return hit;
    const leaf = byId.get(id)!;
    let cat: Category | null = null;
    for (let cur: number | undefined = id; cur !== undefined && cat === null; cur = parent.get(cur)) cat = direct(byId.get(cur)!);
    cat ??= 'node internals/other';
    // JSON.parse called (directly or via natives) from our decode; V8 attributes the builtin's
    // time to its caller, decode.ts `parseJson`, whose own body is only the try around it
    const f = leaf.callFrame;
    if (
      cat === 'decode (other)' &&
      ((f.url === '' && f.functionName === 'parse') || (f.functionName === 'parseJson' && f.url.includes('/src/ingest/decode')))
    ) {
      cat = 'decode (JSON.parse)';
    }
    memo.set(id, cat);
    return cat;
  };
  const ms = new Map<string, number>();
  const self = new Map<string, number>();
  let total = 0;
  // the first delta is the time from Profiler.start to the first sample: not a sample's time
  for (let i = 1; i < samples.length; i++) {
    const dt = (timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const cat = categoryOf(samples[i]!);
    ms.set(cat, (ms.get(cat) ?? 0) + dt);
    const f = byId.get(samples[i]!)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(ROOT_URL, '').replace(ROOT, '')}:${f.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + dt);
  }
  const shares: Record<string, number> = {};
  for (const [k, v] of [...ms].sort((a, b) => b[1] - a[1])) shares[k] = Number((v / total).toFixed(3));
  const topSelf = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([fn, v]) => ({ fn, ms: Math.round(v) }));
  return { shares, topSelf, totalMs: Math.round(total) };
}

async function profiledServiceRun(brokers: string[], topics: readonly [string, string]) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  const run = await serviceRun(brokers, topics);
  const { profile: p } = (await session.post('Profiler.stop')) as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  };
  session.disconnect();
  const file = join(tmpdir(), `bench-replay-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(p));
  return { run, file, ...categorize(p.nodes, p.samples, p.timeDeltas) };
}

// ------------------------------------------------------------------------------------------------

interface Prepared {
  readonly topics: readonly [string, string];
  readonly total: number;
  readonly intents: number;
  readonly bytes: number;
  readonly produceSeconds: number | null;
}

/**
 * Generates the dataset and makes sure the topics hold it (reused when named by the same hash and
 * holding the same counts). Returns only figures: the dataset itself (~1 GiB of heap at 1M events)
 * becomes garbage before the timed runs, so it does not weigh on their GC.
 */
async function prepare(kafka: ReturnType<typeof client>): Promise<Prepared> {
  const t0 = performance.now();
  let ds: Dataset | null = dataset(events, seed);
  const toMessages = (xs: Dataset['lifecycle']): Message[] => xs.map((e) => ({ key: e.intentId, value: JSON.stringify(e) }));
  const lifecycle = toMessages(ds.lifecycle);
  const proofs = toMessages(ds.proofs);
  const intents = ds.intents;
  ds = null; // only the messages are needed from here on
  const hash = createHash('sha256');
  hash.update(`v1:${partitions}:`);
  let bytes = 0;
  for (const m of [...lifecycle, ...proofs]) {
    hash.update(m.value);
    bytes += m.value.length;
  }
  const id = hash.digest('hex').slice(0, 12);
  const topics = [`bench-replay-${id}-lifecycle`, `bench-replay-${id}-proofs`] as const;
  const total = lifecycle.length + proofs.length;
  log(
    `dataset: ${total} events (${lifecycle.length} lifecycle, ${proofs.length} proofs), ${intents} intents, ${(bytes / 1048576).toFixed(0)} MiB of values, generated in ${((performance.now() - t0) / 1000).toFixed(1)}s`,
  );

  const admin = kafka.admin();
  await admin.connect();
  try {
    const counts = await recordCounts(admin, topics);
    if (counts !== null && counts.get(topics[0]) === lifecycle.length && counts.get(topics[1]) === proofs.length) {
      log(`reusing topics ${topics.join(', ')} (record counts match)`);
      return { topics, total, intents, bytes, produceSeconds: null };
    }
    if (counts !== null) await admin.deleteTopics({ topics: [...topics] });
    await createTopics(admin, topics, partitions);
  } finally {
    await admin.disconnect();
  }
  const producer = fastProducer(kafka);
  await producer.connect();
  const tp = performance.now();
  let lastLog = 0;
  await produceFast(
    producer,
    new Map([
      [topics[0], lifecycle],
      [topics[1], proofs],
    ]),
    partitions,
    {
      onProgress: (sent) => {
        if (performance.now() - lastLog > 5000) {
          lastLog = performance.now();
          log(`produced ${sent}/${total}`);
        }
      },
    },
  );
  const produceSeconds = (performance.now() - tp) / 1000;
  await producer.disconnect();
  log(`produced ${total} records in ${produceSeconds.toFixed(1)}s (${Math.round(total / produceSeconds)} records/s)`);
  return { topics, total, intents, bytes, produceSeconds };
}

async function main(): Promise<void> {
  // the heap growing factor the service sets at start (src/main.ts), for drain and service alike
  applyHeapGrowth(configSchema.parse({ HEAP_GROWTH_PERCENT: process.env['HEAP_GROWTH_PERCENT'] }).HEAP_GROWTH_PERCENT);
  const broker = await benchBroker();
  try {
    const kafka = client(broker.brokers, 'bench-replay');
    const { topics, total, intents, bytes, produceSeconds } = await prepare(kafka);
    gc?.();

    const drains: { seconds: number; recordsPerSec: number; firstBatchMs: number; cpuSeconds: number }[] = [];
    const services: (ServiceRun & { recordsPerSec: number })[] = [];
    for (let r = 0; r < runs; r++) {
      gc?.();
      const cpu0 = process.cpuUsage();
      const d = await drain(kafka, topics);
      const drainCpu = cpuSince(cpu0);
      if (d.records !== total) throw new Error(`drain read ${d.records} records, expected ${total}`);
      drains.push({
        seconds: Number(d.seconds.toFixed(3)),
        recordsPerSec: Math.round(d.records / d.seconds),
        firstBatchMs: d.firstBatchMs,
        cpuSeconds: drainCpu,
      });
      gc?.();
      const s = await serviceRun(broker.brokers, topics);
      if (s.records !== total) throw new Error(`service read ${s.records} records, expected ${total}`);
      services.push({ ...s, recordsPerSec: Math.round(s.records / s.seconds) });
      log(
        `run ${r + 1}/${runs}: drain ${d.seconds.toFixed(2)}s (${drains[r]!.recordsPerSec}/s, ${drainCpu}s CPU) | service ${s.seconds.toFixed(2)}s (${s.cpuSeconds}s CPU, ${services[r]!.recordsPerSec}/s, ${s.eventsApplied} applied, ${(s.applyShare * 100).toFixed(0)}% in applyBatch, event loop delay max ${s.loopDelayMaxMs} ms)`,
      );
    }
    const r3 = (x: number): number => Number(x.toFixed(3));
    const drainS = r3(median(drains.map((d) => d.seconds)));
    const serviceS = r3(median(services.map((s) => s.seconds)));
    // the service's time outside onBatch: Kafka fetch + kafkajs decoding + the source's own work
    const outsideS = r3(median(services.map((s) => s.seconds * (1 - s.applyShare))));
    const ratio = Number((drainS / serviceS).toFixed(3));
    // the same ratio in CPU time: how far the service's own work is from the drain's, whatever the contention
    const drainCpuS = r3(median(drains.map((d) => d.cpuSeconds)));
    const serviceCpuS = r3(median(services.map((s) => s.cpuSeconds)));
    log(
      `median: drain ${drainS.toFixed(2)}s, service ${serviceS.toFixed(2)}s; service/drain rate ratio ${ratio} (goal >= ${GOAL}: ${ratio >= GOAL ? 'met' : `missed by ${(GOAL - ratio).toFixed(3)}`})`,
    );

    let prof: Awaited<ReturnType<typeof profiledServiceRun>> | null = null;
    if (profile) {
      gc?.();
      prof = await profiledServiceRun(broker.brokers, topics);
      log(`profiled service run: ${prof.run.seconds}s (profile ${prof.file}); time by category: ${JSON.stringify(prof.shares)}`);
      for (const f of prof.topSelf) log(`  self ${String(f.ms).padStart(6)} ms  ${f.fn}`);
    }

    summary('replay', {
      events: total,
      intents,
      partitions,
      valueMiB: Number((bytes / 1048576).toFixed(1)),
      runs,
      produceSeconds: produceSeconds === null ? null : Number(produceSeconds.toFixed(2)),
      drainSeconds: drainS,
      drainRecordsPerSec: Math.round(total / drainS),
      serviceSeconds: serviceS,
      serviceRecordsPerSec: Math.round(total / serviceS),
      serviceEventsApplied: services[0]?.eventsApplied,
      ratio,
      drainCpuSeconds: drainCpuS,
      serviceCpuSeconds: serviceCpuS,
      cpuRatio: Number((drainCpuS / serviceCpuS).toFixed(3)),
      goal: GOAL,
      goalMet: ratio >= GOAL,
      applyShare: r3(median(services.map((s) => s.applyShare))),
      serviceOutsideApplySeconds: outsideS,
      drainRuns: drains.map((d) => d.seconds),
      serviceRuns: services.map((s) => s.seconds),
      // /healthz and /readyz answer within this (plus their own few ms) during a replay
      loopDelayMaxMs: Math.max(...services.map((s) => s.loopDelayMaxMs)),
      loopDelayP99Ms: r3(median(services.map((s) => s.loopDelayP99Ms))),
      ...(prof !== null ? { profileSeconds: prof.run.seconds, profileShares: prof.shares } : {}),
    });
  } finally {
    await broker.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
