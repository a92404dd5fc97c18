/**
 * What an operator sees when the command line, the configuration or the broker is wrong:
 * one line on stderr, `error: <what to fix>`, no stack trace, and the documented exit code
 * (2 usage/configuration, 1 runtime failure), quickly.
 */
import { describe, expect, it } from 'vitest';
import { PassThrough, Writable } from 'node:stream';
import { runCli as runInProcess } from '../../src/cli.js';
import type { CommandIO } from '../../src/commands/common.js';
import { lines, runCli } from './run-cli.js';

/**
 * "Within seconds": the broker check gives up after a couple of attempts and at its own bound
 * (src/ingest/preflight.ts, 8 s), which test/ingest/preflight.test.ts shows by counting on the
 * listener's side. Here, a sanity bound on the whole CLI beyond `<command> --help` (which starts
 * the same module graph and exits), loose enough for a loaded machine where starting node and tsx
 * alone takes seconds.
 */
const PREFLIGHT_BOUND_MS = 30_000;

function capture(): { io: CommandIO; stdout(): string; stderr(): string } {
  let out = '';
  let err = '';
  const stdout = new Writable({ write: (d: Buffer, _e, cb) => ((out += d.toString()), cb()) });
  const stderr = new Writable({ write: (d: Buffer, _e, cb) => ((err += d.toString()), cb()) });
  return { io: { env: {}, stdout, stderr, stdin: new PassThrough() }, stdout: () => out, stderr: () => err };
}

describe('CLI errors', () => {
  it('an invalid setting stops the start with one line naming the variable (exit 2)', async () => {
    const r = await runCli(['serve'], { PORT: 'abc' });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['error: invalid configuration: PORT must be a number (got "abc")']);
    expect(r.stdout).toBe('');
  });

  it('a flag mirrors its variable and is validated the same way', async () => {
    const r = await runCli(['--port', '70000']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['error: invalid configuration: PORT must be at most 65535 (got "70000")']);
    const b = await runCli(['serve', '--brokers', 'not a broker']);
    expect(b.code).toBe(2);
    expect(lines(b.stderr)).toHaveLength(1);
    expect(b.stderr).toMatch(/^error: invalid configuration: KAFKA_BROKERS entries must look like host:port/);
  });

  it('an unreachable broker gives one clear line within seconds (exit 1)', { timeout: 120_000 }, async () => {
    const startup = await runCli(['serve', '--help']);
    const r = await runCli(['serve'], { KAFKA_BROKERS: '127.0.0.1:1', PORT: '0' }, { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(['error: cannot reach Kafka at 127.0.0.1:1 (KAFKA_BROKERS): connection refused']);
    expect(r.ms - startup.ms).toBeLessThan(PREFLIGHT_BOUND_MS);
  });

  it('replay and simulate report an unreachable broker the same way', { timeout: 120_000 }, async () => {
    for (const cmd of ['replay', 'simulate']) {
      const startup = await runCli([cmd, '--help']);
      const r = await runCli([cmd, '--brokers', '127.0.0.1:1'], {}, { timeoutMs: 60_000 });
      expect(r.code, cmd).toBe(1);
      expect(lines(r.stderr), cmd).toEqual(['error: cannot reach Kafka at 127.0.0.1:1 (KAFKA_BROKERS): connection refused']);
      expect(r.ms - startup.ms, cmd).toBeLessThan(PREFLIGHT_BOUND_MS);
    }
  });

  it('replay and simulate without a broker are usage errors (exit 2)', async () => {
    const r = await runCli(['replay']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['error: replay needs a broker: set KAFKA_BROKERS or pass --brokers host:port']);
  });

  it('unknown commands and options are usage errors (exit 2)', async () => {
    const cmd = await runCli(['frobnicate']);
    expect(cmd.code).toBe(2);
    expect(lines(cmd.stderr)).toHaveLength(1);
    expect(cmd.stderr).toMatch(/^error: unknown command "frobnicate"/);

    const opt = await runCli(['serve', '--no-such-flag']);
    expect(opt.code).toBe(2);
    expect(lines(opt.stderr)).toEqual([`error: Unknown option '--no-such-flag' (see: intent-projector serve --help)`]);

    const num = await runCli(['simulate', '--brokers', '127.0.0.1:1', '--duplicates', '2']);
    expect(num.code).toBe(2);
    expect(lines(num.stderr)).toEqual(['error: --duplicates must be a number between 0 and 1 (got "2")']);
  });

  it('prints help for the CLI and for every command (exit 0)', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['serve', 'replay', 'simulate', 'validate', 'schemas']) expect(top.stdout).toContain(c);
    expect(top.stdout).toMatch(/Exit codes: 0 ok, 1 failure .*, 2 usage or configuration error/);
    // every command's help, in-process (same code path as the bin, minus the process start-up)
    for (const c of ['serve', 'replay', 'simulate', 'validate', 'schemas']) {
      const out = capture();
      const code = await runInProcess([c, '--help'], out.io);
      expect(code, c).toBe(0);
      expect(out.stdout(), c).toContain(`Usage: intent-projector ${c}`);
      expect(out.stderr(), c).toBe('');
    }
    const serve = capture();
    await runInProcess(['serve', '-h'], serve.io);
    expect(serve.stdout()).toMatch(/--kafka-brokers, --brokers\s+KAFKA_BROKERS/);
    expect(serve.stdout()).toMatch(/--port\s+PORT/);
  });
});
