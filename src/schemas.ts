/**
 * JSON Schemas of the external contract, generated from the zod schemas (zod 4's
 * `z.toJSONSchema`), so that `schemas/` can never disagree with the code:
 *
 * - input (Kafka record values), `io: 'input'` (what a producer may write: defaults optional,
 *   unknown extra fields allowed):
 *   `event.json` (the canonical envelope, any type), `event.<type>.json` (one per event type),
 *   `cloudevent.json` (the same events as CloudEvents 1.0 structured-mode records);
 * - output (Socket.IO payloads), `io: 'output'` (what the server emits: exact, no extra fields):
 *   `socket.<event>.json` for every server → client event (`:` in event names becomes `.`),
 *   `socket.ack.json` for acknowledgement callbacks; client arguments: `socket.subscribe-options.json`
 *   (`{since}`), `socket.intent-filter.json` (`subscribe:intents`); HTTP: `http.intents.json`
 *   (the `GET /intents` response).
 *
 * `buildSchemas()` is pure; `buildSchemaFiles()` adds `asyncapi.json` (src/asyncapi.ts), and
 * `writeSchemas(dir)` writes them all (`intent-projector schemas`, `npm run schemas`).
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { cloudEventSchema, EVENT_TYPES, intentEventSchema, type EventType } from './contract/events.js';
import { listResponseSchema } from './contract/http.js';
import {
  ackSchema,
  handshakeRefusalSchema,
  intentFilterSchema,
  serverEventSchemas,
  subscribeOptionsSchema,
  type ServerEventName,
} from './contract/socket.js';
import { buildAsyncApi } from './asyncapi.js';

export type JsonSchema = Record<string, unknown>;

function variantOf(type: EventType) {
  const v = intentEventSchema.options.find((o) => o.shape.type.value === type);
  if (v === undefined) throw new Error(`no schema for event type ${type}`);
  return v;
}

export const SCHEMA_ID_BASE = 'urn:intent-projector:schema:';

function inputSchema(schema: z.ZodType, file: string, title: string, description: string): JsonSchema {
  return decorate(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }), file, title, description);
}

function outputSchema(schema: z.ZodType, file: string, title: string, description: string): JsonSchema {
  return decorate(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw' }), file, title, description);
}

function decorate(schema: JsonSchema, file: string, title: string, description: string): JsonSchema {
  const { $schema, ...rest } = schema;
  return { $schema, $id: `${SCHEMA_ID_BASE}${file}`, title, description, ...rest };
}

export const socketSchemaFile = (event: ServerEventName | 'ack'): string => `socket.${event.replace(/:/g, '.')}.json`;
export const eventSchemaFile = (type: EventType): string => `event.${type}.json`;

/** Every schema file of `schemas/`: file name → JSON Schema (draft 2020-12), sorted by file name. */
export function buildSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  out['event.json'] = inputSchema(
    intentEventSchema,
    'event.json',
    'Intent event (canonical envelope)',
    'A Kafka record value on intents.lifecycle or intents.proofs, discriminated on `type` (docs/contract.md § Input).',
  );
  for (const type of EVENT_TYPES) {
    const file = eventSchemaFile(type);
    out[file] = inputSchema(variantOf(type), file, `Intent event ${type}`, `The canonical envelope of a \`${type}\` event.`);
  }
  out['cloudevent.json'] = inputSchema(
    cloudEventSchema,
    'cloudevent.json',
    'Intent event (CloudEvents 1.0, structured mode)',
    'The same events as CloudEvents: id → eventId, subject → intentId, time → occurredAt. ' +
      'In binary mode the attributes travel as ce_* record headers and the value is `data`.',
  );
  for (const [event, schema] of Object.entries(serverEventSchemas) as [ServerEventName, z.ZodType][]) {
    const file = socketSchemaFile(event);
    out[file] = outputSchema(schema, file, `Socket.IO ${event}`, `Payload of the server → client event \`${event}\`.`);
  }
  out[socketSchemaFile('ack')] = outputSchema(
    ackSchema,
    socketSchemaFile('ack'),
    'Socket.IO acknowledgement',
    'Argument of the acknowledgement callback of every client → server event.',
  );
  out['socket.subscribe-options.json'] = inputSchema(
    subscribeOptionsSchema,
    'socket.subscribe-options.json',
    'Socket.IO subscribe options',
    'Optional last argument before the ack of subscribe:all, subscribe:intents and subscribe:intent: resume from a position.',
  );
  out['socket.intent-filter.json'] = inputSchema(
    intentFilterSchema,
    'socket.intent-filter.json',
    'Socket.IO intent filter',
    'Argument of subscribe:intents / unsubscribe:intents: equality on every given field, at least one.',
  );
  out['http.intents.json'] = outputSchema(
    listResponseSchema,
    'http.intents.json',
    'GET /intents',
    'The first screen: current intents, newest updatedAt first, a cursor for the next page and the position to resume from.',
  );
  out['http.handshake-refused.json'] = outputSchema(
    handshakeRefusalSchema,
    'http.handshake-refused.json',
    'Refused Socket.IO handshake',
    'JSON body of a Socket.IO handshake refused with HTTP 429 (per-address cap) or 503 (node full).',
  );
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export const ASYNCAPI_FILE = 'asyncapi.json';

/** Every file of `schemas/`: the JSON Schemas and the AsyncAPI document, sorted by file name. */
export function buildSchemaFiles(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = { ...buildSchemas(), [ASYNCAPI_FILE]: buildAsyncApi() };
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The text of one schema file: 2-space JSON and a trailing newline. */
export function formatSchema(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/**
 * Writes every schema to `dir` and deletes the `*.json` files there that are no longer generated,
 * so the directory mirrors the code exactly. Returns the file names written.
 */
export async function writeSchemas(dir: string): Promise<string[]> {
  const schemas = buildSchemaFiles();
  await mkdir(dir, { recursive: true });
  for (const existing of await readdir(dir)) {
    if (existing.endsWith('.json') && !(existing in schemas)) await rm(path.join(dir, existing));
  }
  for (const [file, schema] of Object.entries(schemas)) await writeFile(path.join(dir, file), formatSchema(schema));
  return Object.keys(schemas);
}
