/**
 * Benchmark (BENCHMARKS.md, "Slow consumers"): what stalled clients cost a node and its healthy
 * clients.
 *
 * Two runs of the same service, one after the other, each a child process in embedded mode (the
 * simulator produces `--rate` events/s into the in-process log; no broker, so the figures are the
 * transport's), for `--duration` s of live traffic:
 *   baseline: one healthy client in the all-intents room;
 *   stalled:  the same healthy client plus `--stalled` raw websockets that send `subscribe:all`
 *             and then never read again (bench/lib/slow-clients.ts, a process of their own).
 * Reported per run: the healthy client's latency (receipt − the server's emission timestamp)
 * p50/p95/p99 and count; the service's RSS at the start of the live phase and its maximum
 * (sampled from /metrics every second); slow-consumer disconnects (from /metrics). The verdicts:
 * RSS growth ≤ 100 MiB, every stalled socket disconnected, healthy p99 ≤ 1.5 × the baseline's.
 *
 * Usage: npx tsx bench/slow-consumers.ts [--rate 2000] [--duration 60] [--stalled 20]
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { arg, summary } from './lib/dataset.js';
import { log, type LatencySummary } from './lib/kafka.js';

const rate = arg('rate', 2000);
const duration = arg('duration', 60);
const stalled = arg('stalled', 20);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

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
  slowConsumerDisconnects: number;
  bufferedHighWaterBytes: number;
}

async function runOnce(withStalled: number): Promise<RunResult> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const children: ChildProcess[] = [];
  const service = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      SIMULATOR_RATE: String(rate),
      RATE_LIMIT_PER_SECOND: '100000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(service);
  const spawnClients = (): ChildProcess => {
    const c = fork(join(ROOT, 'bench/lib/slow-clients.ts'), [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(c);
    return c;
  };
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
    let stalledProc: ChildProcess | null = null;
    if (withStalled > 0) {
      stalledProc = spawnClients();
      await ask(stalledProc, { type: 'start', url, port, healthy: false, stalled: withStalled }, 'ready', 60_000);
    }
    const rssStart = await metric(url, 'intent_projector_process_resident_memory_bytes');
    let rssMax = rssStart;
    log(`${withStalled} stalled + 1 healthy client connected; live for ${duration}s at ${rate}/s ...`);
    const t0 = performance.now();
    while (performance.now() - t0 < duration * 1000) {
      await sleep(1000);
      rssMax = Math.max(rssMax, await metric(url, 'intent_projector_process_resident_memory_bytes'));
    }
    const slowDisconnects = await metric(url, 'intent_projector_forced_disconnects_total', 'reason="slow_consumer"');
    const highWater = await metric(url, 'intent_projector_socket_buffered_bytes_high_water');
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
      slowConsumerDisconnects: slowDisconnects,
      bufferedHighWaterBytes: highWater,
    };
  } finally {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

async function main(): Promise<void> {
  log(`baseline: 1 healthy client, ${rate} events/s, ${duration}s`);
  const baseline = await runOnce(0);
  log(`baseline: healthy p99 ${baseline.healthy.p99}ms, RSS +${baseline.rssGrowthMiB} MiB`);
  log(`stalled: ${stalled} stalled clients + 1 healthy client`);
  const withStalled = await runOnce(stalled);
  const p99Ratio = Number((withStalled.healthy.p99 / Math.max(1, baseline.healthy.p99)).toFixed(2));
  summary('slow-consumers', {
    rate,
    duration,
    stalled,
    baseline,
    withStalled,
    healthyP99Ratio: p99Ratio,
    verdict: {
      rssGrowthWithin100MiB: withStalled.rssGrowthMiB <= 100,
      everyStalledDisconnected: withStalled.slowConsumerDisconnects >= stalled,
      healthyP99Within1_5x: p99Ratio <= 1.5,
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
