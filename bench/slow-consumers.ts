/**
 * Benchmark (BENCHMARKS.md, "Slow consumers"): what stalled clients cost a node and its healthy
 * clients.
 *
 * Two runs of the same service, one after the other, each a child process on the broker (fresh
 * topics, 4 partitions), while this process produces whole intent lifecycles at `--rate` events/s
 * (occurredAt = send time), for `--duration` s of live traffic:
 *   baseline: one healthy client in the all-intents room;
 *   stalled:  the same healthy client plus `--stalled` raw websockets that send `subscribe:all`
 *             and then never read again (bench/lib/slow-clients.ts, a process of their own).
 * Reported per run: the healthy client's latency (receipt − the server's emission timestamp)
 * p50/p95/p99 and count; the service's RSS at the start of the live phase and its maximum
 * (sampled from /metrics every second), with V8's heap (total and used) and the memory outside it
 * (external), to tell heap growth from the rest, and what the resume window holds at the end;
 * slow-consumer disconnects (from /metrics). The verdicts:
 * RSS growth ≤ 100 MiB, every stalled socket disconnected, healthy p99 ≤ 1.5 × the baseline's.
 *
 * Traffic starts `--warmup` s before the stalled clients connect and the RSS window opens, so the
 * service's own warm-up growth is not counted against them.
 *
 * Usage: npx tsx bench/slow-consumers.ts [--rate 2000] [--duration 60] [--stalled 20] [--warmup 15]
 * Broker: KAFKA_BROKERS, or a local jar broker on 127.0.0.1:29092 started (and stopped) here.
 */
import type { ChildProcess } from 'node:child_process';
import { freePort } from '../test/support/ports.js';
import type { Producer } from 'kafkajs';
import { generateLifecycle } from '../src/sim/lifecycle.js';
import { createRng } from '../src/sim/prng.js';
import { clientScheduling, forkModule, runMain, spawnService, stopAll } from './lib/service.js';
import { arg, summary } from './lib/dataset.js';
import { benchBroker, client, createTopics, fastProducer, log, uniqueName, type LatencySummary } from './lib/kafka.js';

const rate = arg('rate', 2000);
const duration = arg('duration', 60);
const stalled = arg('stalled', 20);
const warmup = arg('warmup', 15);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function metric(url: string, name: string, label = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (label !== '' && !line.includes(label))) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

function ask<T>(child: ChildProcess, msg: object, answer: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${answer} within ${timeoutMs}ms`)), timeoutMs);
    const on = (m: { type: string; error?: string }): void => {
      if (m.type !== answer && m.type !== 'failed') return;
      clearTimeout(timer);
      child.off('message', on);
      if (m.type === 'failed') reject(new Error(m.error));
      else resolve(m as T);
    };
    child.on('message', on);
    child.send(msg);
  });
}

interface RunResult {
  healthy: LatencySummary;
  received: number;
  healthyDisconnects: number;
  rssStartMiB: number;
  rssMaxMiB: number;
  rssGrowthMiB: number;
  /** V8's heap (total = reserved by the collector, used = objects) and memory outside it, MiB: start and max over the run */
  heapTotalStartMiB: number;
  heapTotalMaxMiB: number;
  heapUsedMaxMiB: number;
  externalStartMiB: number;
  externalMaxMiB: number;
  /** what the resume window holds at the end */
  windowRecords: number;
  windowMiB: number;
  slowConsumerDisconnects: number;
  bufferedHighWaterBytes: number;
}

interface Live {
  readonly brokers: string[];
  readonly producer: Producer;
  readonly topics: { lifecycle: string; proofs: string; dlq: string };
}

/** Whole lifecycles, interleaved in rounds (one step of each intent per round), at `rate`/s. */
async function produceFor(live: Live, seconds: number, stop: () => boolean): Promise<number> {
  const rng = createRng(7);
  const t0 = performance.now();
  let sent = 0;
  let queue: { topic: 'lifecycle' | 'proofs'; key: string; event: object }[] = [];
  const refill = (): void => {
    const lifecycles = Array.from(
      { length: 500 },
      () => generateLifecycle(rng, Date.now(), { outcome: 'completed', settlementShare: 0, removalShare: 0 }).events,
    );
    for (let step = 0; step < 11; step++)
      for (const l of lifecycles) {
        const e = l[step];
        if (e !== undefined) queue.push({ topic: e.topic, key: e.event.intentId, event: e.event });
      }
  };
  while (performance.now() - t0 < seconds * 1000 && !stop()) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate) + 1;
    if (due <= sent) {
      await sleep(2);
      continue;
    }
    while (queue.length < due - sent) refill();
    const batch = queue.slice(0, due - sent);
    queue = queue.slice(due - sent);
    sent = due;
    const now = new Date().toISOString();
    const by = { lifecycle: [] as { key: string; value: string }[], proofs: [] as { key: string; value: string }[] };
    for (const b of batch) by[b.topic].push({ key: b.key, value: JSON.stringify({ ...b.event, occurredAt: now }) });
    await live.producer.sendBatch({
      acks: 1,
      topicMessages: (['lifecycle', 'proofs'] as const)
        .filter((t) => by[t].length > 0)
        .map((t) => ({ topic: live.topics[t], messages: by[t] })),
    });
  }
  return sent;
}

async function runOnce(live: Live, withStalled: number): Promise<RunResult> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const children: ChildProcess[] = [];
  const service = spawnService({
    brokers: live.brokers,
    topics: live.topics,
    env: { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '100000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(service);
  const spawnClients = (): ChildProcess => forkModule('bench/lib/slow-clients.ts', children);
  try {
    for (let t = 0; ; t++) {
      if (t > 900) throw new Error('the service did not become ready within 90s');
      const ok = await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(100);
    }
    const healthyProc = spawnClients();
    await ask(healthyProc, { type: 'start', url, port, healthy: true, stalled: 0 }, 'ready', 60_000);
    // traffic first, so the service's own warm-up growth (heap sizing, first projections) is not
    // counted; then the stalled clients connect and the measured window starts
    let producing = true;
    let aborted = false;
    const produced = produceFor(live, warmup + duration, () => aborted).finally(() => (producing = false));
    let rssStart = Number.NaN;
    let rssMax = Number.NaN;
    let heapTotalStart = Number.NaN;
    let externalStart = Number.NaN;
    let heapTotalMax = 0;
    let heapUsedMax = 0;
    let externalMax = 0;
    let stalledProc: ChildProcess | null = null;
    try {
      await sleep(warmup * 1000);
      if (withStalled > 0) {
        stalledProc = spawnClients();
        await ask(stalledProc, { type: 'start', url, port, healthy: false, stalled: withStalled }, 'ready', 60_000);
      }
      rssStart = await metric(url, 'intent_projector_process_resident_memory_bytes');
      rssMax = rssStart;
      heapTotalStart = await metric(url, 'intent_projector_nodejs_heap_size_total_bytes');
      externalStart = await metric(url, 'intent_projector_nodejs_external_memory_bytes');
      log(`${withStalled} stalled + 1 healthy client connected after ${warmup}s of traffic; measuring for ${duration}s at ${rate}/s ...`);
      while (producing) {
        await sleep(1000);
        const rss = await metric(url, 'intent_projector_process_resident_memory_bytes').catch(() => Number.NaN);
        if (Number.isFinite(rss)) rssMax = Math.max(rssMax, rss);
        const mem = await Promise.all(
          ['heap_size_total_bytes', 'heap_size_used_bytes', 'external_memory_bytes'].map((m) =>
            metric(url, `intent_projector_nodejs_${m}`).catch(() => 0),
          ),
        );
        heapTotalMax = Math.max(heapTotalMax, mem[0]!);
        heapUsedMax = Math.max(heapUsedMax, mem[1]!);
        externalMax = Math.max(externalMax, mem[2]!);
        if (service.exitCode !== null) throw new Error(`the service exited with ${service.exitCode}`);
      }
    } finally {
      aborted = true;
    }
    log(`produced ${await produced} events`);
    await sleep(2000);
    const slowDisconnects = await metric(url, 'intent_projector_forced_disconnects_total', 'reason="slow_consumer"');
    const highWater = await metric(url, 'intent_projector_socket_buffered_bytes_high_water');
    const windowRecords = await metric(url, 'intent_projector_resume_window_records');
    const windowBytes = await metric(url, 'intent_projector_resume_window_bytes');
    const r = await ask<{ latency: LatencySummary; received: number; disconnects: number }>(
      healthyProc,
      { type: 'finish' },
      'result',
      30_000,
    );
    if (stalledProc !== null) await ask(stalledProc, { type: 'finish' }, 'result', 30_000);
    const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
    return {
      healthy: r.latency,
      received: r.received,
      healthyDisconnects: r.disconnects,
      rssStartMiB: mib(rssStart),
      rssMaxMiB: mib(rssMax),
      rssGrowthMiB: mib(rssMax - rssStart),
      heapTotalStartMiB: mib(heapTotalStart),
      heapTotalMaxMiB: mib(heapTotalMax),
      heapUsedMaxMiB: mib(heapUsedMax),
      externalStartMiB: mib(externalStart),
      externalMaxMiB: mib(externalMax),
      windowRecords,
      windowMiB: mib(windowBytes),
      slowConsumerDisconnects: slowDisconnects,
      bufferedHighWaterBytes: highWater,
    };
  } finally {
    await stopAll(children);
  }
}

async function withTopics<T>(fn: (live: Live) => Promise<T>): Promise<T> {
  const broker = await benchBroker();
  const kafka = client(broker.brokers, 'bench-slow-consumers');
  const admin = kafka.admin();
  const producer = fastProducer(kafka);
  const base = uniqueName('bench-slow');
  const topics = { lifecycle: `${base}-lifecycle`, proofs: `${base}-proofs`, dlq: `${base}-dlq` };
  try {
    await admin.connect();
    await createTopics(admin, [topics.lifecycle, topics.proofs], 4);
    await createTopics(admin, [topics.dlq], 1);
    await producer.connect();
    return await fn({ brokers: broker.brokers, producer, topics });
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await broker.stop();
  }
}

async function main(): Promise<void> {
  log(`baseline: 1 healthy client, ${rate} events/s, ${duration}s`);
  const baseline = await withTopics((live) => runOnce(live, 0));
  log(`baseline: healthy p99 ${baseline.healthy.p99}ms, RSS +${baseline.rssGrowthMiB} MiB`);
  log(`stalled: ${stalled} stalled clients + 1 healthy client`);
  const withStalled = await withTopics((live) => runOnce(live, stalled));
  const p99Ratio = Number((withStalled.healthy.p99 / Math.max(1, baseline.healthy.p99)).toFixed(2));
  summary('slow-consumers', {
    rate,
    duration,
    stalled,
    baseline,
    withStalled,
    healthyP99Ratio: p99Ratio,
    // how the client processes were scheduled (bench/lib/service.ts BENCH_CLIENT_SCHED)
    clientScheduling: clientScheduling(),
    verdict: {
      rssGrowthWithin100MiB: withStalled.rssGrowthMiB <= 100,
      everyStalledDisconnected: withStalled.slowConsumerDisconnects >= stalled,
      healthyP99Within1_5x: p99Ratio <= 1.5,
    },
  });
}

runMain(main);
