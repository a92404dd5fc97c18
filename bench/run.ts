/**
 * Runs every benchmark in sequence (`npm run bench`), each in its own process, and prints their
 * one-line JSON summaries at the end (one per line, in order). Progress goes to stderr.
 *
 *   reducer   npx tsx bench/reducer.ts
 *   memory    node --expose-gc --import tsx bench/memory.ts
 *   replay    npx tsx bench/replay.ts        (real broker)
 *   healthz   npx tsx bench/healthz.ts       (real broker, a serve process: /healthz and /readyz during its start-up replay)
 *   latency   npx tsx bench/latency.ts       (real broker, service + clients in child processes)
 *   slow-consumers  npx tsx bench/slow-consumers.ts  (real broker; 20 stalled + 1 healthy client vs 1 healthy)
 *   scale     npx tsx bench/latency.ts --clients 10000 --client-procs 4 --all-clients 10
 *   restart   npx tsx bench/restart.ts       (real broker, serve processes: replay vs snapshot, two sizes)
 *   list      npx tsx bench/list.ts          (GET /intents and filter snapshots over the 1M-event store: listing vs full views)
 *
 * Extra arguments are passed to every bench (e.g. `npm run bench -- --runs 1`); BENCH_<NAME>
 * variables work too (bench/lib/dataset.ts `arg`). The broker benches share one broker: the one
 * of KAFKA_BROKERS, or a local jar broker started here once (127.0.0.1:29092) and stopped at the end.
 * `--only replay,latency` runs a subset.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchBroker, log } from './lib/kafka.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Bench {
  readonly name: string;
  readonly argv: readonly string[];
  readonly kafka: boolean;
}

const BENCHES: readonly Bench[] = [
  { name: 'reducer', argv: ['--import', 'tsx', 'bench/reducer.ts'], kafka: false },
  { name: 'memory', argv: ['--expose-gc', '--import', 'tsx', 'bench/memory.ts'], kafka: false },
  { name: 'replay', argv: ['--import', 'tsx', 'bench/replay.ts'], kafka: true },
  { name: 'healthz', argv: ['--import', 'tsx', 'bench/healthz.ts'], kafka: true },
  { name: 'latency', argv: ['--import', 'tsx', 'bench/latency.ts'], kafka: true },
  { name: 'slow-consumers', argv: ['--import', 'tsx', 'bench/slow-consumers.ts'], kafka: true },
  {
    name: 'scale',
    argv: ['--import', 'tsx', 'bench/latency.ts', '--clients', '10000', '--client-procs', '4', '--all-clients', '10'],
    kafka: true,
  },
  { name: 'restart', argv: ['--import', 'tsx', 'bench/restart.ts'], kafka: true },
  { name: 'list', argv: ['--import', 'tsx', 'bench/list.ts'], kafka: false },
];

function parseArgs(): { only: Set<string> | null; rest: string[] } {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--only');
  if (i < 0) return { only: null, rest: argv };
  const only = new Set((argv[i + 1] ?? '').split(',').filter(Boolean));
  return { only, rest: [...argv.slice(0, i), ...argv.slice(i + 2)] };
}

/** Runs one bench; resolves with the last JSON line it printed on stdout. */
function run(b: Bench, extra: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...b.argv, ...extra], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const line = out
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (code === 0 && line !== undefined) resolve(line);
      else reject(new Error(`bench ${b.name} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

async function main(): Promise<void> {
  const { only, rest } = parseArgs();
  const selected = BENCHES.filter((b) => only === null || only.has(b.name));
  const needsKafka = selected.some((b) => b.kafka);
  const broker = needsKafka ? await benchBroker() : null;
  const lines: string[] = [];
  let failed = false;
  try {
    for (const b of selected) {
      log(`=== ${b.name} ===`);
      const env = { ...process.env, ...(b.kafka && broker !== null ? { KAFKA_BROKERS: broker.brokers.join(',') } : {}) };
      try {
        lines.push(await run(b, rest, env));
      } catch (err) {
        failed = true;
        log(err instanceof Error ? err.message : String(err));
        lines.push(JSON.stringify({ bench: b.name, error: err instanceof Error ? err.message : String(err) }));
      }
    }
  } finally {
    await broker?.stop();
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
