/**
 * Validates a server → client payload against both descriptions of the contract: the zod schema
 * of src/contract/socket.ts and the generated JSON Schema `schemas/socket.<event>.json`
 * (`intent:status` → `socket.intent.status.json`), with ajv (draft 2020-12).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { serverEventSchemas, type ServerEventName } from '../../src/contract/socket.js';

const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

// CommonJS default exports seen from ESM under NodeNext.
type Ctor = typeof Ajv2020Module extends { default: infer D } ? D : typeof Ajv2020Module;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: Ctor }).default ?? Ajv2020Module) as unknown as new (
  opts: object,
) => {
  compile(schema: object): ValidateFunction;
};
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: object) => void;

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();

export function jsonSchemaFile(event: ServerEventName): string {
  return `${SCHEMAS_DIR}socket.${event.replace(':', '.')}.json`;
}

function jsonValidator(event: ServerEventName): ValidateFunction {
  let v = compiled.get(event);
  if (v === undefined) {
    v = ajv.compile(JSON.parse(readFileSync(jsonSchemaFile(event), 'utf8')) as object);
    compiled.set(event, v);
  }
  return v;
}

/** Problems of one payload under the zod schema and the JSON Schema; empty when valid under both. */
export function payloadProblems(event: string, payload: unknown): string[] {
  if (!(event in serverEventSchemas)) return [`${event} is not a server event of the contract`];
  const name = event as ServerEventName;
  const problems: string[] = [];
  const zod = serverEventSchemas[name].safeParse(payload);
  if (!zod.success) problems.push(`zod: ${zod.error.message}`);
  const json = jsonValidator(name);
  if (!json(payload)) problems.push(`json schema: ${JSON.stringify(json.errors)}`);
  return problems;
}
