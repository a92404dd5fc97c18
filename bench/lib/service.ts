/**
 * The processes of a benchmark: the service (`serve`, run through tsx from this checkout) and the
 * client modules it forks, and stopping them all at the end.
 */
import { type ChildProcess, fork, type SpawnOptions, spawn } from 'node:child_process';
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

/** A client module of bench/lib (an IPC child through tsx), added to `children`. */
export function forkModule(file: string, children: ChildProcess[]): ChildProcess {
  const c = fork(join(ROOT, file), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(c);
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
