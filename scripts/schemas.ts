/**
 * `npm run schemas`: writes the JSON Schemas of the contract (src/schemas.ts) to `schemas/`.
 * `npm run schemas -- --check`: writes nothing, exits 1 when `schemas/` is out of date.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchemas, formatSchema, writeSchemas } from '../src/schemas.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'schemas');

async function check(): Promise<string[]> {
  const expected = buildSchemas();
  const onDisk = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  const stale: string[] = onDisk.filter((f) => !(f in expected)).map((f) => `${f} (no longer generated)`);
  for (const [file, schema] of Object.entries(expected)) {
    const text = await readFile(path.join(dir, file), 'utf8').catch(() => undefined);
    if (text === undefined) stale.push(`${file} (missing)`);
    else if (text !== formatSchema(schema)) stale.push(`${file} (differs)`);
  }
  return stale;
}

if (process.argv.includes('--check')) {
  const stale = await check();
  if (stale.length > 0) {
    process.stderr.write(`schemas/ is out of date, run \`npm run schemas\`:\n  ${stale.join('\n  ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`schemas/ is up to date (${Object.keys(buildSchemas()).length} files)\n`);
} else {
  const files = await writeSchemas(dir);
  process.stdout.write(`wrote ${files.length} schemas to ${path.relative(process.cwd(), dir) || '.'}/\n`);
}
