/**
 * The processes of a benchmark: the service (`serve`, run through tsx from this checkout) and the
 * client modules it forks, and stopping them all at the end.
 */
import { type ChildProcess, execFileSync, fork, type SpawnOptions, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServiceOptions {
  readonly brokers: readonly string[];
  readonly topics: { readonly lifecycle: string; readonly proofs: string; readonly dlq: string };
  /** the rest of the service's configuration (HOST, PORT, LOG_LEVEL, limits, …) */
  readonly env: Readonly<Record<string, string>>;
  /** node flags before the entry point (after BENCH_SERVICE_NODE_ARGS), e.g. a probe's `--import` */
  readonly nodeArgs?: readonly string[];
  readonly stdio: SpawnOptions['stdio'];
}

/**
 * `serve` in a process of its own. BENCH_SERVICE_NODE_ARGS: extra node flags for the service only,
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
 */
export function spawnService(o: ServiceOptions): ChildProcess {
  const extra = (process.env['BENCH_SERVICE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  return spawn(process.execPath, [...extra, '--import', 'tsx', ...(o.nodeArgs ?? []), 'src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: o.brokers.join(','),
      KAFKA_TOPIC_LIFECYCLE: o.topics.lifecycle,
      KAFKA_TOPIC_PROOFS: o.topics.proofs,
      KAFKA_TOPIC_DLQ: o.topics.dlq,
      ...o.env,
    },
    stdio: o.stdio,
  });
}

/**
 * How the client processes are scheduled: `BENCH_CLIENT_SCHED`, `batch` (default) or `other`.
 * They stand for browsers on other machines, but here they share the service's two CPUs, and under
 * the kernel's default policy a client that the service's socket write wakes may take the CPU from
 * the service at once, in the middle of its flush: the service then waits inside `writev` until
 * that client has parsed its packets (docs/ingestion.md "Where the p99 comes from, and clients on the service's CPUs"). `batch`
 * runs them as SCHED_BATCH (`chrt -b`): the same fair share of CPU time, without that wake-up
 * preemption. `other` keeps the default policy (the setting of the figures before 2026-12-02).
 */
const CLIENT_SCHED = (() => {
  const v = process.env['BENCH_CLIENT_SCHED'] ?? 'batch';
  if (v !== 'batch' && v !== 'other') throw new Error(`BENCH_CLIENT_SCHED must be batch or other, got "${v}"`);
  return v;
})();
let schedFailure: string | null = null;
let scheduled = 0;

function schedule(pid: number | undefined): void {
  if (CLIENT_SCHED !== 'batch' || schedFailure !== null || pid === undefined) return;
  try {
    // -a: every thread the process has so far; the threads it starts later inherit the policy
    execFileSync('chrt', ['-a', '-b', '-p', '0', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    scheduled++;
  } catch (err) {
    schedFailure = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    process.stderr.write(`bench: client processes keep the default scheduling policy (chrt -b failed: ${schedFailure})\n`);
  }
}

/** The policy the client processes ran under, for the summaries (`mixed`: `batch` failed after some were set). */
export const clientScheduling = (): 'batch' | 'other' | 'mixed' =>
  CLIENT_SCHED === 'other' ? 'other' : schedFailure === null ? 'batch' : scheduled > 0 ? 'mixed' : 'other';

/** A client module of bench/lib (an IPC child through tsx, scheduled as `clientScheduling`), added to `children`. */
export function forkModule(file: string, children: ChildProcess[]): ChildProcess {
  const c = fork(join(ROOT, file), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(c);
  schedule(c.pid);
  return c;
}

/** Stops the children, the last started first: SIGTERM, SIGKILL after 10 s. */
export async function stopAll(children: ChildProcess[]): Promise<void> {
  for (const child of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Runs a benchmark's `main`, printing its error and exiting 1 if it fails. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
