/**
 * `intent-projector validate FILE.jsonl` reports bad lines by number and sets the exit code.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines, runCli } from './run-cli.js';

const ID = `0x${'ab'.repeat(32)}`;
const good = (type: string, data?: unknown, n = 1) =>
  JSON.stringify({ eventId: `e-${type}-${n}`, type, intentId: ID, occurredAt: '2026-11-27T10:15:30.123Z', ...(data ? { data } : {}) });

function file(content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'validate-'));
  const f = path.join(dir, 'events.jsonl');
  writeFileSync(f, content);
  return f;
}

describe('validate', () => {
  it('reports each bad line by number with the reason, and exits 1', async () => {
    const f = file(
      `${[
        good('intent.submitted', { fromChain: 1, toChain: 10, amount: '1000' }),
        '{"eventId": "x", "type": "intent.matched"', // truncated JSON
        good('intent.matched', { solver: '0xsolver' }),
        '',
        JSON.stringify({ eventId: 'e9', type: 'intent.teleported', intentId: ID, occurredAt: '2026-11-27T10:15:30Z', data: {} }),
        good('intent.submitted', { fromChain: 1, toChain: 10, amount: 'lots' }, 2),
        JSON.stringify({ specversion: '1.0', id: 'ce-1', type: 'proof.verified', subject: ID, time: '2026-11-27T10:15:31Z' }),
      ].join('\n')}\n`,
    );
    const r = await runCli(['validate', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    expect(out.filter((l) => l.startsWith('line '))).toEqual([
      expect.stringMatching(/^line 2: value is not JSON/),
      'line 5: unknown event type "intent.teleported"',
      expect.stringMatching(/^line 6: data\.amount: must be a decimal string/),
    ]);
    expect(out.at(-1)).toBe(`${f}: 6 events, 3 valid, 3 invalid (1 blank lines skipped)`);
  });

  it('exits 0 when every line is valid, and --json summarises', async () => {
    const f = file([good('proof.requested'), good('proof.generating'), good('intent.completed', { txHash: '0x1' })].join('\n'));
    const r = await runCli(['validate', f]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([`${f}: 3 events, 3 valid, all valid`]);

    const j = await runCli(['validate', '--json', f]);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ file: f, lines: 3, valid: 3, invalid: 0, errors: [] });
  });

  it('reads stdin with "-"', async () => {
    const r = await runCli(['validate', '-'], {}, { input: `${good('proof.requested')}\nnot json\n` });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^line 2: value is not JSON/m);
  });

  it('a missing or unreadable file is a usage error (exit 2)', async () => {
    const none = await runCli(['validate']);
    expect(none.code).toBe(2);
    expect(lines(none.stderr)).toEqual(['error: missing FILE (usage: intent-projector validate FILE.jsonl)']);
    const missing = await runCli(['validate', '/nonexistent/events.jsonl']);
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toEqual(['error: cannot read /nonexistent/events.jsonl: no such file']);
  });
});
