/**
 * The README is the operator's reference: it must document every configuration variable the
 * service reads (with its default), every command, and the exit codes the CLI uses.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli.js';
import { CONFIG_VARIABLES, configSchema } from '../../src/config.js';
import { ROOT } from './run-cli.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('starts with what the service is and how to run it and its tests', () => {
    const [title, , what] = readme.split('\n');
    expect(title).toBe('# intent-projector');
    expect(what).toMatch(/projector/);
    expect(readme).toContain('Run the service: `npm install && npm start`');
    expect(readme).toContain('Run the tests: `npm test`');
  });

  it('has a configuration row for every variable, with its default', () => {
    const rows = new Map(
      readme
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .map((l) => l.split('|').map((c) => c.trim()))
        .map((cells) => [cells[1]!.replace(/`/g, ''), cells[2]!.replace(/`/g, '')] as const),
    );
    const defaults = configSchema.parse({}) as Record<string, unknown>;
    for (const v of CONFIG_VARIABLES) {
      expect(rows.has(v), `${v} missing from the README table`).toBe(true);
      const d = defaults[v];
      if (d === undefined) continue;
      const shown = Array.isArray(d) ? d.join(',') : String(d);
      expect(rows.get(v), v).toContain(shown);
    }
  });

  it('documents every command and the exit codes', () => {
    for (const c of COMMANDS) expect(readme).toContain(`### \`${c.name}\``);
    expect(readme).toMatch(/\| `2` \| usage or configuration error/);
  });
});
