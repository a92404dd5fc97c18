/**
 * `intent-projector schemas` writes the generated JSON Schemas, `--check` tells whether a
 * directory is current, and a directory of unrelated JSON files is never overwritten.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { buildSchemaFiles } from '../../src/schemas.js';

function io() {
  let out = '';
  let err = '';
  return {
    io: {
      env: {},
      stdin: new PassThrough(),
      stdout: new Writable({ write: (d: Buffer, _e, cb) => ((out += d.toString()), cb()) }),
      stderr: new Writable({ write: (d: Buffer, _e, cb) => ((err += d.toString()), cb()) }),
    },
    out: () => out,
    err: () => err,
  };
}

describe('schemas', () => {
  it('writes every schema, then --check finds the directory current; a changed file makes it stale', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'schemas-'));
    const w = io();
    expect(await runCli(['schemas', '--out', dir], w.io)).toBe(0);
    const n = Object.keys(buildSchemaFiles()).length;
    expect(w.out()).toBe(`wrote ${n} schema files to ${dir}\n`);
    const event = JSON.parse(readFileSync(path.join(dir, 'event.json'), 'utf8')) as { title: string };
    expect(event.title).toContain('Intent event');

    const c = io();
    expect(await runCli(['schemas', '--check', '-o', dir], c.io)).toBe(0);

    writeFileSync(path.join(dir, 'event.json'), '{}\n');
    const stale = io();
    expect(await runCli(['schemas', '--check', '-o', dir], stale.io)).toBe(1);
    expect(stale.out()).toContain('event.json (differs)');
  });

  it('refuses a directory holding other JSON files (exit 2)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'schemas-'));
    writeFileSync(path.join(dir, 'package.json'), '{"name":"x"}');
    const r = io();
    expect(await runCli(['schemas', '--out', dir], r.io)).toBe(2);
    expect(r.err()).toMatch(/^error: refusing to write to .*package\.json/);
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))).toEqual({ name: 'x' });
  });
});
