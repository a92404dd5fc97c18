/**
 * Under CI=true, a run that cannot get a broker fails loudly and fast: it neither passes (the
 * integration tests skipping themselves into green) nor hangs. Runs vitest itself as a child.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

it('CI=true with KAFKA_BROKERS pointing nowhere fails within seconds with a clear message', async () => {
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', 'test/kafka-roundtrip.int.test.ts'], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true', KAFKA_BROKERS: '127.0.0.1:1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, output });
    });
  });
  expect(code).not.toBe(0);
  expect(code).not.toBeNull(); // not killed by the timeout: it did not hang
  expect(output).toContain('KAFKA_BROKERS=127.0.0.1:1 is set but the broker is not reachable');
  expect(output).not.toMatch(/Tests\s+\d+ passed/);
  expect(Date.now() - started).toBeLessThan(45_000);
});
