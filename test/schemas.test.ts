/**
 * `schemas/` (the JSON Schemas published with the package) is generated from the zod contract by
 * `npm run schemas`. These tests fail when the files are out of date with the code, and check
 * that the generated schemas accept what the service really reads and emits, and reject what it
 * would refuse.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type IntentEventInput } from '../src/contract/events.js';
import { serverEventSchemas, type ServerEventName } from '../src/contract/socket.js';
import { Stream } from '../src/fanout/stream.js';
import { ProjectionStore } from '../src/reduce/store.js';
import { refusal } from '../src/transport/connection-limits.js';
import { buildSchemaFiles, buildSchemas, eventSchemaFile, formatSchema, socketSchemaFile } from '../src/schemas.js';
import { anyWireEventArb, decodeAll, generateHistory, interleave } from './support/histories.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMAS_DIR = path.join(ROOT, 'schemas');
const built = buildSchemas();

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validators = new Map<string, ValidateFunction>();
function validator(file: string): ValidateFunction {
  let v = validators.get(file);
  if (v === undefined) {
    const schema = built[file];
    if (schema === undefined) throw new Error(`no schema ${file}`);
    v = ajv.compile(schema);
    validators.set(file, v);
  }
  return v;
}

function expectValid(file: string, value: unknown): void {
  const v = validator(file);
  const valid = v(value);
  expect(valid, `${file}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(value)}`).toBe(true);
}

function expectInvalid(file: string, value: unknown): void {
  expect(validator(file)(value), `${file} should reject ${JSON.stringify(value)}`).toBe(false);
}

function toCloudEvent(e: IntentEventInput): Record<string, unknown> {
  const { eventId, intentId, occurredAt, type, ...rest } = e;
  return { specversion: '1.0', id: eventId, source: '/coordinator', type, subject: intentId, time: occurredAt, ...rest };
}

describe('schemas/ is up to date with the code', () => {
  it('every generated file (the JSON Schemas and asyncapi.json) is on disk, byte for byte, and nothing else is', () => {
    const files = buildSchemaFiles();
    const onDisk = readdirSync(SCHEMAS_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort();
    const stale: string[] = onDisk.filter((f) => !(f in files)).map((f) => `${f} (no longer generated)`);
    for (const [file, schema] of Object.entries(files)) {
      let text: string | undefined;
      try {
        text = readFileSync(path.join(SCHEMAS_DIR, file), 'utf8');
      } catch {
        text = undefined;
      }
      if (text === undefined) stale.push(`${file} (missing)`);
      else if (text !== formatSchema(schema)) stale.push(`${file} (differs)`);
    }
    expect(stale, 'schemas/ is out of date with src/contract: run `npm run schemas` and commit the result').toEqual([]);
  });

  it('`intent-projector schemas --check` agrees: exit 0 on this tree, 1 once a schema file is stale', () => {
    const check = (dir: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'schemas', '--check', '--out', dir], { cwd: ROOT, encoding: 'utf8' });
    expect(check('schemas').status).toBe(0);
    const copy = mkdtempSync(path.join(tmpdir(), 'schemas-'));
    cpSync(SCHEMAS_DIR, copy, { recursive: true });
    writeFileSync(path.join(copy, 'event.json'), '{}\n');
    expect(check(copy).status).toBe(1);
  });

  it('has one schema per event type, the union, the CloudEvent form, every Socket.IO payload, the ack, the handshake refusal, the client arguments and GET /intents', () => {
    const expected = [
      'event.json',
      'cloudevent.json',
      ...EVENT_TYPES.map(eventSchemaFile),
      ...(Object.keys(serverEventSchemas) as ServerEventName[]).map(socketSchemaFile),
      socketSchemaFile('ack'),
      'http.handshake-refused.json',
      'socket.subscribe-options.json',
      'socket.intent-filter.json',
      'http.intents.json',
    ].sort();
    expect(Object.keys(built)).toEqual(expected);
  });

  it('every schema is valid draft 2020-12 (compiles in strict mode)', () => {
    for (const file of Object.keys(built)) expect(() => validator(file), file).not.toThrow();
  });

  it('building twice gives identical text (deterministic)', () => {
    const again = buildSchemas();
    expect(Object.keys(again)).toEqual(Object.keys(built));
    for (const [file, schema] of Object.entries(built)) expect(formatSchema(again[file] ?? {})).toBe(formatSchema(schema));
  });
});

describe('input schemas accept what producers write, reject what the decoder refuses', () => {
  const history = generateHistory({ intents: 100, seed: 7, removeRate: 0.3, truncateRate: 0.1, mixedCaseIds: true });
  const records = [...history.lifecycle, ...history.proof];

  it('every record of a realistic history validates: the union, its own type, its CloudEvent form', () => {
    expect(new Set(records.map((r) => r.type)).size).toBe(EVENT_TYPES.length);
    for (const r of records) {
      expectValid('event.json', r);
      expectValid(eventSchemaFile(r.type), r);
      expectValid('cloudevent.json', toCloudEvent(r));
    }
  });

  it('any event the zod contract accepts, the JSON Schema accepts', () => {
    fc.assert(
      fc.property(anyWireEventArb({ intents: 4 }), (e) => {
        expectValid('event.json', e);
        expectValid('cloudevent.json', toCloudEvent(e));
      }),
      { numRuns: 300 },
    );
  });

  it('unknown extra fields are allowed (forward compatible)', () => {
    const e = { ...history.lifecycle[0], trace: 'x', data: { ...(history.lifecycle[0] as { data: object }).data, memo: 'y' } };
    expectValid('event.json', e);
  });

  it('rejects a bad intentId, an unknown type, a missing field, a bad amount, a non-ISO time', () => {
    const submitted = {
      eventId: 'e1',
      type: 'intent.submitted',
      intentId: `0x${'ab'.repeat(32)}`,
      occurredAt: '2026-11-27T10:15:30.123Z',
      data: { fromChain: 1, toChain: 10, amount: '1000' },
    };
    expectValid('event.json', submitted);
    expectInvalid('event.json', { ...submitted, intentId: '0x1234' });
    expectInvalid('event.json', { ...submitted, type: 'intent.exploded' });
    expectInvalid('event.json', { ...submitted, data: { fromChain: 1, toChain: 10 } });
    expectInvalid('event.json', { ...submitted, data: { fromChain: 1, toChain: 10, amount: '1e18' } });
    expectInvalid('event.json', { ...submitted, occurredAt: '27/11/2026' });
    expectInvalid('event.json', { ...submitted, eventId: '' });
    expectInvalid(eventSchemaFile('intent.matched'), submitted);
    expectInvalid('cloudevent.json', { ...toCloudEvent(submitted as IntentEventInput), specversion: '0.3' });
    expectInvalid('cloudevent.json', { ...toCloudEvent(submitted as IntentEventInput), subject: 'nope' });
  });

  it('events without data may omit it', () => {
    expectValid('event.json', {
      eventId: 'e',
      type: 'proof.verified',
      intentId: `0x${'ab'.repeat(32)}`,
      occurredAt: '2026-11-27T10:00:00Z',
    });
  });
});

describe('Socket.IO schemas accept every payload the service emits', () => {
  it('all emissions of a realistic history, in an interleaved order, validate against their event schema', () => {
    const h = generateHistory({ intents: 60, seed: 11, removeRate: 0.3, truncateRate: 0.1 });
    const picks = Array.from({ length: h.lifecycle.length + h.proof.length }, (_, i) => (i * 7919) % 3 !== 0);
    const events = interleave(decodeAll(h.lifecycle), decodeAll(h.proof), picks);
    const store = new ProjectionStore();
    const stream = new Stream(undefined, 100);
    const emitted = new Set<string>();
    let offset = 0;
    store.applyAll(events, (diff) => {
      stream.advance(0, offset);
      for (const e of stream.record(0, offset++, diff, 1_764_240_000_000, true) ?? []) {
        emitted.add(e.event);
        expectValid(socketSchemaFile(e.event), JSON.parse(JSON.stringify(e.payload)));
      }
    });
    expect([...emitted].sort()).toEqual(
      [
        'intent:new',
        'intent:proof',
        'intent:proof_changed',
        'intent:removed',
        'intent:settlement_proof',
        'intent:status',
        'intent:status_changed',
      ].sort(),
    );
    expectValid(socketSchemaFile('mempool:stats'), store.stats());
  });

  it('the payloads built outside the fold validate too', () => {
    expectValid(socketSchemaFile('intent:not_found'), { intentId: '0xnot-even-valid' });
    expectValid(socketSchemaFile('pong'), { timestamp: 1_764_240_000_000 });
    expectValid(socketSchemaFile('error'), {
      event: 'subscribe:intent',
      code: 'INVALID_INTENT_ID',
      message: 'intentId must be 0x + 64 hex digits',
    });
    expectValid(socketSchemaFile('ack'), { ok: true });
    expectValid(socketSchemaFile('ack'), { ok: false, code: 'TOO_MANY_SUBSCRIPTIONS', message: 'at most 100' });
    for (const limit of ['per_ip', 'total', 'fd_limit'] as const) expectValid('http.handshake-refused.json', refusal(limit));
    expectInvalid('http.handshake-refused.json', { ...refusal('total'), limit: 'other' });
  });

  it('rejects extra fields, unknown enum values and wrong types', () => {
    const stats = { total: 1, submitted: 1, matched: 0, executing: 0, completed: 0, failed: 0, cancelled: 0 };
    expectValid(socketSchemaFile('mempool:stats'), stats);
    expectInvalid(socketSchemaFile('mempool:stats'), { ...stats, extra: 1 });
    expectInvalid(socketSchemaFile('mempool:stats'), { ...stats, total: -1 });
    expectInvalid(socketSchemaFile('error'), { event: 'ping', code: 'NOPE', message: 'x' });
    expectInvalid(socketSchemaFile('ack'), { ok: true, code: 'RATE_LIMITED' });
    expectInvalid(socketSchemaFile('intent:removed'), { intentId: `0x${'AB'.repeat(32)}`, timestamp: 1 });
    expectInvalid(socketSchemaFile('pong'), { timestamp: '1' });
  });
});
