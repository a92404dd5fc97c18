/**
 * Spawns the real CLI (`node --import tsx src/cli.ts ...`) as a child process, the way an operator
 * runs it, with a clean environment (no KAFKA_BROKERS unless given).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'src', 'cli.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function cliEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('KAFKA_') || k === 'PORT' || k === 'HOST' || k === 'LOG_LEVEL') delete base[k];
  delete base['FORCE_COLOR'];
  return { ...base, NO_COLOR: '1', ...env };
}

export function spawnCli(args: readonly string[], env: Record<string, string | undefined> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: cliEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs the CLI to completion (killed after `timeoutMs`). */
export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<CliResult> {
  const t0 = Date.now();
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end(opts.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Lines of output without the trailing empty one. */
export const lines = (s: string): string[] => s.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
