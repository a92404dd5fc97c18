/**
 * `intent-projector schemas`: write the JSON Schemas of the input events and the Socket.IO
 * payloads (generated from the zod schemas by src/schemas.ts), or check that a directory is
 * up to date.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { buildSchemaFiles, formatSchema, SCHEMA_ID_BASE, writeSchemas } from '../schemas.js';
import { parseCommand, type Command } from './common.js';

/** Files in `dir` that are stale generated schemas (fine to delete) or foreign JSON (not fine). */
async function inspect(dir: string): Promise<{ stale: string[]; foreign: string[] }> {
  const expected = buildSchemaFiles();
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json') && !(f in expected));
  const stale: string[] = [];
  const foreign: string[] = [];
  for (const f of files) {
    const text = await readFile(path.join(dir, f), 'utf8').catch(() => '');
    let id: unknown;
    try {
      id = (JSON.parse(text) as { $id?: unknown }).$id;
    } catch {
      id = undefined;
    }
    (typeof id === 'string' && id.startsWith(SCHEMA_ID_BASE) ? stale : foreign).push(f);
  }
  return { stale, foreign };
}

async function outOfDate(dir: string): Promise<string[]> {
  const out: string[] = (await inspect(dir)).stale.map((f) => `${f} (no longer generated)`);
  for (const [file, schema] of Object.entries(buildSchemaFiles())) {
    const text = await readFile(path.join(dir, file), 'utf8').catch(() => undefined);
    if (text === undefined) out.push(`${file} (missing)`);
    else if (text !== formatSchema(schema)) out.push(`${file} (differs)`);
  }
  return out;
}

export const schemasCommand: Command = {
  name: 'schemas',
  summary: 'write the JSON Schemas of the input events and Socket.IO payloads, and asyncapi.json',
  help: `Usage: intent-projector schemas [options]

Writes one JSON Schema (draft 2020-12) per input event and per Socket.IO payload, generated from
the zod schemas the service validates with: event.json, event.<type>.json, cloudevent.json,
socket.<event>.json, and the AsyncAPI 3.0 document of the Socket.IO contract, asyncapi.json.
Generated files that are no longer produced are deleted; a directory holding
other JSON files is refused.

Options:
  -o, --out <dir>  directory to write to (default ./schemas)
  --check          write nothing; exit 1 and list the files when <dir> is out of date
  -h, --help       show this help

Exit codes: 0 written (or up to date), 1 out of date (--check) or write failure, 2 invalid option.`,
  async run(argv, io) {
    const { values } = parseCommand(
      'schemas',
      argv,
      { out: { type: 'string', short: 'o' }, check: { type: 'boolean' } },
      new Map(),
      io.env,
    );
    if (values['help']) {
      io.stdout.write(`${schemasCommand.help}\n`);
      return 0;
    }
    const dir = path.resolve(typeof values['out'] === 'string' ? values['out'] : 'schemas');
    if (values['check'] === true) {
      const stale = await outOfDate(dir);
      if (stale.length > 0) {
        io.stdout.write(`${stale.map((s) => `${dir}: ${s}`).join('\n')}\n`);
        io.stderr.write(`error: ${dir} is out of date (${stale.length} files); run intent-projector schemas --out ${dir}\n`);
        return 1;
      }
      io.stdout.write(`${dir} is up to date (${Object.keys(buildSchemaFiles()).length} files)\n`);
      return 0;
    }
    const { foreign } = await inspect(dir);
    if (foreign.length > 0) {
      throw new UsageError(
        `refusing to write to ${dir}: it holds JSON files that are not generated schemas (${foreign.slice(0, 3).join(', ')}); choose another --out`,
      );
    }
    const files = await writeSchemas(dir);
    io.stdout.write(`wrote ${files.length} schema files to ${dir}\n`);
    return 0;
  },
};
