/**
 * The pure core stays pure (docs/architecture.md): src/reduce and src/fanout import nothing from
 * ingest, transport or Node, and read no clock, randomness or environment. Checked on the source
 * text, so a new file or import that breaks the rule fails here, not in review.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

function files(dir: string): { file: string; text: string }[] {
  return readdirSync(path.join(SRC, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(path.join(SRC, dir, f), 'utf8') }));
}

const imports = (text: string): string[] => [...text.matchAll(/^\s*import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
/** the source without comments, so prose about the clock does not count */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

const IMPURE = [
  /\bDate\.now\b/,
  /\bnew Date\(\s*\)/,
  /\bMath\.random\b/,
  /\bprocess\./,
  /\bperformance\./,
  /\bsetTimeout\b/,
  /\bsetInterval\b/,
];

describe('the pure core', () => {
  for (const dir of ['reduce', 'fanout']) {
    it(`src/${dir} imports only the contract and the pure core`, () => {
      const bad = files(dir).flatMap(({ file, text }) =>
        imports(text)
          .filter(
            (m) => !/^\.\.?\/|^\.\.\/(contract|reduce|fanout)\//.test(m) || /\.\.\/(ingest|transport)\//.test(m) || m.startsWith('node:'),
          )
          .map((m) => `${file} imports ${m}`),
      );
      expect(bad).toEqual([]);
      expect(files(dir).length).toBeGreaterThan(0);
    });

    it(`src/${dir} reads no clock, randomness, environment or timers`, () => {
      const bad = files(dir).flatMap(({ file, text }) => IMPURE.filter((re) => re.test(code(text))).map((re) => `${file}: ${re.source}`));
      expect(bad).toEqual([]);
    });
  }

  it('src/contract, the contract published to frontends, imports nothing else of ours', () => {
    const bad = files('contract').flatMap(({ file, text }) =>
      imports(text)
        .filter((m) => m.startsWith('../') || m.startsWith('node:'))
        .map((m) => `${file} imports ${m}`),
    );
    expect(bad).toEqual([]);
    expect(files('contract').length).toBeGreaterThan(0);
  });

  it('the reducer imports from the contract only types, and the status values (plain constants, no zod)', () => {
    const bad = files('reduce').flatMap(({ file, text }) =>
      [...text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'\.\.\/contract\/([^']+)'/gm)]
        .filter((m) => m[1] === undefined && m[2] !== 'status.js')
        .map((m) => `${file} imports ../contract/${m[2]}`),
    );
    expect(bad).toEqual([]);
  });
});
