/**
 * Benchmark 3 (BENCHMARKS.md): live latency, produce → Socket.IO client receipt, under load.
 *
 * - The service runs as a child process (`node --import tsx src/cli.ts serve`, KAFKA_BROKERS set,
 *   RATE_LIMIT_PER_SECOND high) on fresh topics (4 partitions each).
 * - History: `intent.submitted` of the `--clients` intents to watch (so they exist when subscribed).
 * - Once /readyz answers 200, child processes (bench/lib/latency-clients.ts) connect one websocket
 *   client per watched intent (`subscribe:intent`), and, in `--all-procs` other processes (one per
 *   client by default), `--all-clients` clients in the all-intents room (`subscribe:all`).
 * - Live traffic at `--rate` events/s for `--duration` s, keyed by intentId: every watched intent
 *   goes through the rest of its lifecycle (proofs, matched, locks, withdrawn, completed), plus
 *   whole lifecycles of unwatched intents filling the rate. Events go out in rounds (one step of
 *   every intent per round, shuffled), so each watched intent gets events all through the run.
 *   The producer sets occurredAt = Date.now() when it sends; latency = receipt Date.now() −
 *   updatedAt (same machine, same clock, ms precision).
 * - Beside it, in this process, a plain kafkajs consumer (own group, the service's fetch
 *   settings) timestamps receipt in eachBatch: the Kafka-only part of the latency.
 * - Expected counts come from folding the same events in-process (ProjectionStore + emissionsFor).
 * - Warm-up: `--warmup` s of traffic of other (unwatched) intents' whole lifecycles at the same rate
 *   come first and are not measured (by anyone: clients and the plain consumer count only events
 *   produced after it), so the figures are the steady state, not the first seconds of a process
 *   whose live path (emissions, broadcasts) has never run and is not compiled yet. Deliveries of
 *   the warm-up are still counted against the expected counts.
 * - Where the time goes: each payload's emission `timestamp` splits its latency into `server`
 *   (produce → the service computed the emission) and `delivery` (→ receipt), see
 *   bench/lib/latency-clients.ts; the client processes' event-loop delay and the service's CPU use
 *   are reported with it.
 * - What one live record costs the service: `perRecord` = CPU µs, heap bytes allocated,
 *   collections, and socket writes (`writev`/`write` system calls, from `perf stat` when installed)
 *   over the measured traffic ÷ its records (bench/lib/service-probe.ts, loaded into the service;
 *   BENCH_PROBE_CPU_PROFILE / BENCH_PROBE_HEAP_PROFILE=file also profile just that traffic, see
 *   bench/lib/profile-summary.py). Steadier than p99, but not a fixed cost: the service fetches as
 *   often as it can, so these move with how many records one fetch holds (`write` per record shows
 *   it; docs/ingestion.md "When the next fetch is sent, traced").
 *
 * - Besides the whole run's p99 (decided by its few slowest bursts), `steady` gives the median over
 *   the measured seconds of each second's p99, for the clients and the plain consumer alike.
 * - The client processes stand for browsers on other machines; they run as SCHED_BATCH so that a
 *   client woken by the service's write does not take the CPU from the service in the middle of its
 *   flush (bench/lib/service.ts `BENCH_CLIENT_SCHED`; `other` for the kernel's default policy).
 *
 * - `--client-procs n` spreads the per-intent clients over n processes (the scale run: 10,000
 *   sockets); the service's RSS before the clients connect and after is reported per socket.
 *
 * Usage: npx tsx bench/latency.ts [--rate 2000] [--duration 30] [--warmup 5] [--clients 1000] [--all-clients 10]
 *        [--client-procs 1] [--all-procs <all-clients>]
 * Broker: KAFKA_BROKERS, or a local jar broker on 127.0.0.1:29092 started (and stopped) here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { freePort } from '../test/support/ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IntentEventInput } from '../src/contract/events.js';
import { emissionsFor } from '../src/fanout/emissions.js';
import { decodeRecord } from '../src/ingest/decode.js';
import { ProjectionStore } from '../src/reduce/store.js';
import { generateLifecycle } from '../src/sim/lifecycle.js';
import { createRng, type Rng } from '../src/sim/prng.js';
import { clientScheduling, forkModule, runMain, spawnService, stopAll } from './lib/service.js';
import { arg, median, summary } from './lib/dataset.js';
import {
  benchBroker,
  client,
  createTopics,
  fastProducer,
  latencySummary,
  log,
  plainConsumer,
  uniqueName,
  type LatencySummary,
} from './lib/kafka.js';

const rate = arg('rate', 2000);
const duration = arg('duration', 30);
const warmup = arg('warmup', 5);
const watched = arg('clients', 1000);
const allClients = arg('all-clients', 10);
const partitions = arg('partitions', 4);
const seed = arg('seed', 7);
const clientProcs = Math.max(1, arg('client-procs', 1));
// one process per all-intents client by default: a browser holds one such socket; packed into one
// process, 5 of them saw p99 561 ms where single ones in the same run saw 307-377 (BENCHMARKS.md)
const allProcs = Math.max(1, Math.min(allClients, arg('all-procs', allClients)));

const LIFECYCLE_STEPS = 11; // submitted, 4 proof steps, matched, lock requested, locked, destination locked, withdrawn, completed

type Topic = 'lifecycle' | 'proofs';
interface Planned {
  readonly topic: Topic;
  readonly event: IntentEventInput;
}

interface Plan {
  readonly watchedIds: string[];
  readonly history: Planned[];
  readonly live: Planned[];
  /** produced before `live`, not measured: whole lifecycles of other intents */
  readonly warm: Planned[];
  /** live steps each watched intent gets */
  readonly watchedSteps: number;
  readonly others: number;
}

function shuffle<T>(rng: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function plan(): Plan {
  const rng = createRng(seed);
  const budget = Math.floor(rate * duration);
  const watchedSteps = Math.min(LIFECYCLE_STEPS - 1, Math.floor(budget / watched));
  if (watchedSteps < 1) throw new Error(`--rate x --duration (${budget} events) must be at least --clients (${watched})`);
  const others = Math.floor((budget - watched * watchedSteps) / LIFECYCLE_STEPS);
  const start = Date.now() - 3_600_000;
  const lifecycles: Planned[][] = [];
  for (let i = 0; i < watched + others; i++) {
    const l = generateLifecycle(rng, start, { outcome: 'completed', settlementShare: 0, removalShare: 0 });
    if (l.events.length !== LIFECYCLE_STEPS) throw new Error(`unexpected lifecycle of ${l.events.length} events`);
    lifecycles.push(l.events.map((e) => ({ topic: e.topic, event: e.event })));
  }
  const history = lifecycles.slice(0, watched).map((l) => l[0]!);
  const live: Planned[] = [];
  for (let step = 0; step < LIFECYCLE_STEPS; step++) {
    const round: Planned[] = [];
    for (let i = 0; i < lifecycles.length; i++) {
      const isWatched = i < watched;
      if (isWatched ? step >= 1 && step <= watchedSteps : true) round.push(lifecycles[i]![step]!);
    }
    live.push(...shuffle(rng, round));
  }
  // the warm-up: its own intents (another seed), in rounds like the live traffic
  const warmRng = createRng(seed + 1);
  const warmLifecycles = Array.from(
    { length: Math.floor((rate * warmup) / LIFECYCLE_STEPS) },
    () => generateLifecycle(warmRng, start, { outcome: 'completed', settlementShare: 0, removalShare: 0 }).events,
  );
  const warm: Planned[] = [];
  for (let step = 0; step < LIFECYCLE_STEPS; step++)
    warm.push(
      ...shuffle(
        warmRng,
        warmLifecycles.flatMap((l) => (l[step] === undefined ? [] : [{ topic: l[step]!.topic, event: l[step]!.event }])),
      ),
    );
  return {
    watchedIds: lifecycles.slice(0, watched).map((l) => l[0]!.event.intentId.toLowerCase()),
    history,
    live,
    warm,
    watchedSteps,
    others,
  };
}

/**
 * The median, over the seconds of the run (by produce time, seconds with at least 50 samples), of
 * each second's p99: what an ordinary second looks like, where the whole run's p99 is decided by its
 * few slowest bursts (docs/ingestion.md "Where the p99 comes from").
 */
function medianSecondP99(produced: readonly number[], latency: readonly number[]): number {
  const seconds = new Map<number, number[]>();
  for (let i = 0; i < produced.length; i++) {
    const s = Math.floor(produced[i]! / 1000);
    let xs = seconds.get(s);
    if (xs === undefined) seconds.set(s, (xs = []));
    xs.push(latency[i]!);
  }
  const p99s = [...seconds.values()].filter((xs) => xs.length >= 50).map((xs) => latencySummary(xs).p99);
  return p99s.length === 0 ? Number.NaN : median(p99s);
}

/** Emissions the service must send for the live events (counted by folding them in-process). */
function expected(p: Plan): { perIntentStatus: number; allNew: number; allStatusChanged: number; allLive: number } {
  const store = new ProjectionStore();
  const watchedSet = new Set(p.watchedIds);
  const fold = (e: Planned) => {
    const d = decodeRecord({ value: JSON.stringify(e.event) });
    if (!d.ok) throw new Error(d.reason);
    return store.apply(d.event);
  };
  for (const e of p.history) fold(e);
  const out = { perIntentStatus: 0, allNew: 0, allStatusChanged: 0, allLive: 0 };
  const warm = new Set(p.warm);
  for (const e of [...p.warm, ...p.live]) {
    const diff = fold(e);
    if (diff === null) continue;
    for (const em of emissionsFor(diff, 0)) {
      if (em.event === 'intent:status' && watchedSet.has(e.event.intentId.toLowerCase())) out.perIntentStatus++;
      if (em.event === 'intent:new') out.allNew++;
      if (em.event === 'intent:status_changed') out.allStatusChanged++;
      if ((em.event === 'intent:new' || em.event === 'intent:status_changed') && !warm.has(e)) out.allLive++;
    }
  }
  return out;
}

/** The event as sent now: occurredAt (and proofGeneratedAt) = the send time. */
function stamped(e: IntentEventInput, nowIso: string): string {
  const copy = { ...e, occurredAt: nowIso } as IntentEventInput & { data?: Record<string, unknown> };
  if (copy.type === 'proof.generated') copy.data = { proofGeneratedAt: nowIso };
  return JSON.stringify(copy);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitReady(url: string, timeoutMs: number, service: ChildProcess): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (service.exitCode !== null) throw new Error(`the service exited with ${service.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return Math.round(performance.now() - t0);
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url}/readyz did not answer 200 within ${timeoutMs}ms`);
}

interface ClientCounts {
  perIntent: number;
  allNew: number;
  allStatusChanged: number;
  snapshots: number;
  wrongIntent: number;
  disconnects: number;
  errors: number;
}
interface Split<T> {
  server: T;
  delivery: T;
}
interface ClientResult {
  counts: ClientCounts;
  perIntent: LatencySummary;
  allRoom: LatencySummary;
  perIntentRaw: Split<number[]> & { total: number[]; produced: number[] };
  allRoomRaw: Split<number[]> & { total: number[]; produced: number[] };
  eventLoopDelayMs: { p99: number; max: number };
  cpuCores: number;
}

/** The goals: per-intent p99 within 1.5x, all-intents p99 within 2x of the plain consumer's. */
const GOALS = { perIntent: 1.5, allRoom: 2 } as const;
const ratio = (a: number, b: number): number => Math.round((a / Math.max(1, b)) * 100) / 100;

const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;

/** A sample of the service's /metrics (prom-client's default process metrics). */
async function metricOf(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
}
/** The service's resident memory, from its /metrics. */
const rssOf = (url: string): Promise<number> => metricOf(url, 'intent_projector_process_resident_memory_bytes');
/** The service's CPU seconds so far, user and system. */
const cpuOf = async (url: string): Promise<{ user: number; system: number }> => ({
  user: await metricOf(url, 'intent_projector_process_cpu_user_seconds_total'),
  system: await metricOf(url, 'intent_projector_process_cpu_system_seconds_total'),
});

interface ProbeLine {
  cpuUserUs: number;
  cpuSystemUs: number;
  allocatedBytes: number;
  scavenges: number;
  markCompacts: number;
  gcMs: number;
}

/** The service's totals now (bench/lib/service-probe.ts answers SIGUSR2 with a line). */
async function probe(service: ChildProcess, file: string): Promise<ProbeLine | null> {
  const lines = (): string[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
  const before = lines().length;
  service.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    const now = lines();
    if (now.length > before) return JSON.parse(now[now.length - 1]!) as ProbeLine;
    await sleep(50);
  }
  return null;
}

interface SyscallCounts {
  writev: number;
  write: number;
}

/** `perf stat` of the service's writev and write calls until `stop`; null without perf (or its tracepoints). */
function countSyscalls(pid: number): { stop(): Promise<SyscallCounts | null> } {
  let perf: ChildProcess;
  try {
    perf = spawn('perf', ['stat', '-x', ',', '-e', 'syscalls:sys_enter_writev,syscalls:sys_enter_write', '-p', String(pid)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch {
    return { stop: async () => null };
  }
  let err = '';
  perf.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((r) => {
    perf.once('error', () => r());
    perf.once('exit', () => r());
  });
  return {
    async stop() {
      if (perf.exitCode === null && perf.signalCode === null) perf.kill('SIGINT');
      await Promise.race([exited, sleep(5000)]);
      const count = (name: string): number => {
        const line = err.split('\n').find((l) => l.includes(`syscalls:sys_enter_${name},`) || l.endsWith(`syscalls:sys_enter_${name}`));
        const n = line === undefined ? Number.NaN : Number(line.split(',')[0]);
        return n;
      };
      const counts = { writev: count('writev'), write: count('write') };
      return Number.isFinite(counts.writev) && Number.isFinite(counts.write) ? counts : null;
    },
  };
}

function perRecord(a: ProbeLine | null, b: ProbeLine | null, calls: SyscallCounts | null, records: number): Record<string, number | null> {
  const per = (x: number, scale = 1, digits = 1): number => Math.round(((x * scale) / records) * 10 ** digits) / 10 ** digits;
  return {
    cpuUs: a && b ? per(b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) : null,
    cpuSystemUs: a && b ? per(b.cpuSystemUs - a.cpuSystemUs) : null,
    allocatedBytes: a && b ? per(b.allocatedBytes - a.allocatedBytes, 1, 0) : null,
    scavengesPer1000: a && b ? per(b.scavenges - a.scavenges, 1000, 2) : null,
    gcMsPer1000: a && b ? per(b.gcMs - a.gcMs, 1000, 2) : null,
    writev: calls ? per(calls.writev, 1, 2) : null,
    write: calls ? per(calls.write, 1, 2) : null,
  };
}

function request<T>(child: ChildProcess, msg: unknown, answer: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', on);
      reject(new Error(`clients: no '${answer}' within ${timeoutMs}ms`));
    }, timeoutMs);
    const on = (m: { type: string; error?: string }) => {
      if (m.type === 'failed') {
        clearTimeout(timer);
        child.off('message', on);
        reject(new Error(`clients failed: ${m.error}`));
      } else if (m.type === answer) {
        clearTimeout(timer);
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
    child.send(msg as object);
  });
}

async function main(): Promise<void> {
  const p = plan();
  const exp = expected(p);
  const allExpected = (exp.allNew + exp.allStatusChanged) * allClients;
  log(
    `plan: ${p.live.length} live events (${watched} watched intents x ${p.watchedSteps} steps + ${p.others} unwatched lifecycles), ${rate}/s for ~${(p.live.length / rate).toFixed(1)}s; expected ${exp.perIntentStatus} intent:status to watched clients, ${exp.allNew} intent:new + ${exp.allStatusChanged} intent:status_changed per all-room client (with the warm-up's ${p.warm.length} events)`,
  );

  const broker = await benchBroker();
  const children: ChildProcess[] = [];
  const kafka = client(broker.brokers, 'bench-latency');
  const admin = kafka.admin();
  const base = uniqueName('bench-latency');
  const topics = { lifecycle: `${base}-lifecycle`, proofs: `${base}-proofs`, dlq: `${base}-dlq` };
  const consumer = plainConsumer(kafka, 'bench-latency-plain');
  const producer = fastProducer(kafka);
  try {
    await admin.connect();
    await createTopics(admin, [topics.lifecycle, topics.proofs], partitions);
    await createTopics(admin, [topics.dlq], 1);
    await producer.connect();
    const send = async (batch: Planned[], stamp: string | null): Promise<void> => {
      const by: Record<Topic, { key: string; value: string }[]> = { lifecycle: [], proofs: [] };
      for (const e of batch)
        by[e.topic].push({ key: e.event.intentId, value: stamp === null ? JSON.stringify(e.event) : stamped(e.event, stamp) });
      await producer.sendBatch({
        acks: 1,
        topicMessages: (['lifecycle', 'proofs'] as const)
          .filter((t) => by[t].length > 0)
          .map((t) => ({ topic: topics[t], messages: by[t] })),
      });
    };
    await send(p.history, null);

    // the service
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const serviceLog = join(tmpdir(), `${base}-service.log`);
    const logStream = createWriteStream(serviceLog);
    // the per-record CPU, allocation and GC figures (bench/lib/service-probe.ts)
    const probeFile = join(tmpdir(), `${base}-probe.jsonl`);
    const service = spawnService({
      brokers: broker.brokers,
      topics,
      nodeArgs: ['--import', './bench/lib/service-probe.ts'],
      env: {
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_SECOND: '100000',
        // every client comes from 127.0.0.1
        MAX_CONNECTIONS_PER_IP: '1000000',
        MAX_CONNECTIONS: '1000000',
        BENCH_PROBE_FILE: probeFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(service);
    service.stdout!.pipe(logStream);
    service.stderr!.pipe(logStream);
    const readyMs = await waitReady(url, 90_000, service);
    log(`service ready on ${url} after ${readyMs}ms (pid ${service.pid}, log ${serviceLog})`);

    // the clients, in processes of their own (per-intent clients; each all-room client), so a busy
    // all-room client delays neither the per-intent ones' receipt timestamps nor another's
    const forkClients = (): ChildProcess => forkModule('bench/lib/latency-clients.ts', children);
    const rssBefore = await rssOf(url);
    const intentProcs = Array.from({ length: clientProcs }, () => forkClients());
    const roomProcs = Array.from({ length: allProcs }, () => forkClients());
    const share = Math.ceil(p.watchedIds.length / clientProcs);
    const roomShare = (i: number): number => Math.floor(((i + 1) * allClients) / allProcs) - Math.floor((i * allClients) / allProcs);
    const readies = await Promise.all([
      ...intentProcs.map((c, i) =>
        request<{ connectMs: number; sockets: number }>(
          c,
          { type: 'start', url, intents: p.watchedIds.slice(i * share, (i + 1) * share), all: 0 },
          'ready',
          600_000,
        ),
      ),
      ...roomProcs.map((c, i) =>
        request<{ connectMs: number; sockets: number }>(c, { type: 'start', url, intents: [], all: roomShare(i) }, 'ready', 180_000),
      ),
    ]);
    const ready = { sockets: readies.reduce((a, r) => a + r.sockets, 0), connectMs: Math.max(...readies.map((r) => r.connectMs)) };
    const rssAfter = await rssOf(url);
    log(`${ready.sockets} clients connected and subscribed in ${ready.connectMs}ms`);

    // the plain kafkajs consumer, here
    // only events produced from here on count (history and warm-up do not)
    let measureFrom = Number.POSITIVE_INFINITY;
    const plainLat: number[] = [];
    const plainAt: number[] = [];
    let historySeen = 0;
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.lifecycle, topics.proofs], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          const at = Date.parse((JSON.parse(m.value!.toString()) as { occurredAt: string }).occurredAt);
          if (at >= measureFrom) {
            plainLat.push(now - at);
            plainAt.push(at);
          } else historySeen++;
        }
      },
    });
    for (let t = 0; historySeen < p.history.length; t++) {
      if (t > 600) throw new Error('the plain consumer did not read the history within 60s');
      await sleep(100);
    }
    await sleep(500);

    // warm-up traffic (not measured), then the live traffic, at the same rate
    const produce = async (events: Planned[]): Promise<number> => {
      const t0 = performance.now();
      let sent = 0;
      while (sent < events.length) {
        const due = Math.min(events.length, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
        if (due <= sent) {
          await sleep(1);
          continue;
        }
        const batch = events.slice(sent, due);
        sent = due;
        await send(batch, new Date().toISOString());
      }
      return (performance.now() - t0) / 1000;
    };
    if (p.warm.length > 0) {
      log(`warm-up: ${p.warm.length} events at ${rate}/s (not measured) ...`);
      await produce(p.warm);
    }
    const cpuBefore = await cpuOf(url);
    const probeBefore = await probe(service, probeFile);
    const syscalls = countSyscalls(service.pid!);
    for (const c of [...intentProcs, ...roomProcs]) c.send({ type: 'measure' });
    measureFrom = Date.now();
    log(`producing ${p.live.length} events at ${rate}/s ...`);
    const t0 = performance.now();
    const produceSeconds = await produce(p.live);
    const sent = p.live.length;
    log(`produced ${sent} events in ${produceSeconds.toFixed(1)}s (${Math.round(sent / produceSeconds)}/s); waiting for deliveries ...`);

    // wait for everything expected (or 15 s without progress)
    let last = -1;
    let lastChange = performance.now();
    for (;;) {
      const [as, bs] = await Promise.all([
        Promise.all(intentProcs.map((c) => request<ClientCounts>(c, { type: 'report' }, 'counts', 10_000))),
        Promise.all(roomProcs.map((c) => request<ClientCounts>(c, { type: 'report' }, 'counts', 10_000))),
      ]);
      const c = {
        perIntent: as.reduce((x, y) => x + y.perIntent, 0),
        allNew: bs.reduce((x, y) => x + y.allNew, 0),
        allStatusChanged: bs.reduce((x, y) => x + y.allStatusChanged, 0),
      };
      const got = c.perIntent + c.allNew + c.allStatusChanged + plainLat.length;
      if (c.perIntent >= exp.perIntentStatus && c.allNew + c.allStatusChanged >= allExpected && plainLat.length >= p.live.length) break;
      if (got !== last) {
        last = got;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > 15_000) {
        log(
          `no progress for 15s: per-intent ${c.perIntent}/${exp.perIntentStatus}, all-room ${c.allNew + c.allStatusChanged}/${allExpected}, plain ${plainLat.length}/${p.live.length}`,
        );
        break;
      }
      await sleep(200);
    }
    const serviceRss = await rssOf(url);
    const cpuAfter = await cpuOf(url);
    const probeAfter = await probe(service, probeFile);
    const calls = await syscalls.stop();
    const liveSeconds = (performance.now() - t0) / 1000;
    const [ris, ras] = await Promise.all([
      Promise.all(intentProcs.map((c) => request<ClientResult>(c, { type: 'finish', from: measureFrom }, 'result', 180_000))),
      Promise.all(roomProcs.map((c) => request<ClientResult>(c, { type: 'finish', from: measureFrom }, 'result', 180_000))),
    ]);
    const ra = {
      allRoom: latencySummary(ras.flatMap((r) => r.allRoomRaw.total)),
      counts: {
        allNew: ras.reduce((x, r) => x + r.counts.allNew, 0),
        allStatusChanged: ras.reduce((x, r) => x + r.counts.allStatusChanged, 0),
        disconnects: ras.reduce((x, r) => x + r.counts.disconnects, 0),
      },
    };
    const ri = {
      perIntent: latencySummary(ris.flatMap((r) => r.perIntentRaw.total)),
      counts: {
        perIntent: ris.reduce((x, r) => x + r.counts.perIntent, 0),
        wrongIntent: ris.reduce((x, r) => x + r.counts.wrongIntent, 0),
        disconnects: ris.reduce((x, r) => x + r.counts.disconnects, 0),
      },
    };
    const plain = latencySummary(plainLat);
    const ratios = { perIntentP99: ratio(ri.perIntent.p99, plain.p99), allRoomP99: ratio(ra.allRoom.p99, plain.p99) };
    const goals = { perIntent: ratios.perIntentP99 <= GOALS.perIntent, allRoom: ratios.allRoomP99 <= GOALS.allRoom };
    const steadyP99 = {
      perIntent: medianSecondP99(
        ris.flatMap((r) => r.perIntentRaw.produced),
        ris.flatMap((r) => r.perIntentRaw.total),
      ),
      allRoom: medianSecondP99(
        ras.flatMap((r) => r.allRoomRaw.produced),
        ras.flatMap((r) => r.allRoomRaw.total),
      ),
      plainKafka: medianSecondP99(plainAt, plainLat),
    };
    const c = {
      perIntent: ri.counts.perIntent,
      allNew: ra.counts.allNew,
      allStatusChanged: ra.counts.allStatusChanged,
      wrongIntent: ri.counts.wrongIntent,
      disconnects: ri.counts.disconnects + ra.counts.disconnects,
    };
    summary('latency', {
      rate,
      duration,
      warmupEvents: p.warm.length,
      events: p.live.length,
      achievedRate: Math.round(sent / produceSeconds),
      watchedClients: watched,
      allClients,
      partitions,
      perIntent: { ...ri.perIntent, expected: exp.perIntentStatus },
      allRoom: { ...ra.allRoom, expected: exp.allLive * allClients },
      plainKafka: { ...plain, expected: p.live.length },
      // p99 against the plain consumer's, and the goals (<= 1.5x, <= 2x)
      ratios,
      goalsMet: goals,
      // the median over the measured seconds of each second's p99 (by produce time), and its ratios:
      // the gap of an ordinary second, without the few bursts that decide the whole run's p99
      steady: {
        ...steadyP99,
        perIntentRatio: ratio(steadyP99.perIntent, steadyP99.plainKafka),
        allRoomRatio: ratio(steadyP99.allRoom, steadyP99.plainKafka),
      },
      // how the client processes were scheduled (bench/lib/service.ts BENCH_CLIENT_SCHED)
      clientScheduling: clientScheduling(),
      // produce → emission computed (server) and emission → receipt (delivery), see bench/lib/latency-clients.ts
      split: {
        perIntent: {
          server: latencySummary(ris.flatMap((r) => r.perIntentRaw.server)),
          delivery: latencySummary(ris.flatMap((r) => r.perIntentRaw.delivery)),
        },
        allRoom: {
          server: latencySummary(ras.flatMap((r) => r.allRoomRaw.server)),
          delivery: latencySummary(ras.flatMap((r) => r.allRoomRaw.delivery)),
        },
      },
      // the client processes: a receipt is timestamped when the process gets to it
      clients: {
        perIntent: ris.map((r) => ({ eventLoopDelayMs: r.eventLoopDelayMs, cpuCores: r.cpuCores })),
        allRoom: ras.map((r) => ({ eventLoopDelayMs: r.eventLoopDelayMs, cpuCores: r.cpuCores, p99: r.allRoom.p99 })),
      },
      // the service's CPU use during the measured traffic (1 = one core), user and system (kernel: socket writes)
      serviceCpuCores: {
        user: Math.round(((cpuAfter.user - cpuBefore.user) / liveSeconds) * 100) / 100,
        system: Math.round(((cpuAfter.system - cpuBefore.system) / liveSeconds) * 100) / 100,
      },
      // what one live record costs the service (the measured traffic and its deliveries, divided by its
      // records): CPU µs, bytes allocated on the heap, collections per 1000 records, socket writes
      // (writev + write system calls, counted by `perf stat` when it is available)
      perRecord: perRecord(probeBefore, probeAfter, calls, p.live.length),
      drops: {
        perIntent: exp.perIntentStatus - c.perIntent,
        allRoom: allExpected - (c.allNew + c.allStatusChanged),
        plainKafka: p.live.length - plain.count,
      },
      wrongIntent: c.wrongIntent,
      disconnects: c.disconnects,
      connectMs: ready.connectMs,
      sockets: ready.sockets,
      serviceRssMiB: { beforeClients: mib(rssBefore), afterClients: mib(rssAfter), end: mib(serviceRss) },
      memoryPerSocketKiB: Math.round(((rssAfter - rssBefore) / Math.max(1, ready.sockets) / 1024) * 10) / 10,
    });
    log(
      `p99 vs the plain kafkajs consumer: per-intent ${ratios.perIntentP99}x (goal <= ${GOALS.perIntent}x: ${goals.perIntent ? 'met' : 'NOT met'}), ` +
        `all-intents ${ratios.allRoomP99}x (goal <= ${GOALS.allRoom}x: ${goals.allRoom ? 'met' : 'NOT met'})`,
    );
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await stopAll(children);
    await admin.deleteTopics({ topics: [topics.lifecycle, topics.proofs, topics.dlq] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await broker.stop();
  }
}

runMain(main);
