/**
 * `schemas/asyncapi.json`, the AsyncAPI 3.0 document of the Socket.IO contract generated from the
 * zod schemas (src/asyncapi.ts): valid for the AsyncAPI parser, one operation per event, payload
 * schemas that accept what the service really emits, and served at GET /asyncapi.json.
 * (Its staleness against the code is checked with the other files of schemas/ in schemas.test.ts.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientEventSchemas, serverEventSchemas } from '../src/contract/socket.js';
import { Stream } from '../src/fanout/stream.js';
import { ProjectionStore } from '../src/reduce/store.js';
import { decodeAll, generateHistory, interleave } from './support/histories.js';
import { type Harness, startHarness } from './support/transport-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const text = readFileSync(path.join(ROOT, 'schemas/asyncapi.json'), 'utf8');

interface Doc {
  asyncapi: string;
  operations: Record<string, { action: 'send' | 'receive'; messages: { $ref: string }[]; reply?: { messages: { $ref: string }[] } }>;
  components: { messages: Record<string, { name: string; payload?: { $ref: string } }>; schemas: Record<string, object> };
}
const doc = JSON.parse(text) as Doc;

/** Message name (the Socket.IO event) → its payload schema, resolved from components. */
function payloadSchemas(): Map<string, object | undefined> {
  const out = new Map<string, object | undefined>();
  for (const m of Object.values(doc.components.messages)) {
    const ref = m.payload?.$ref.replace('#/components/schemas/', '');
    out.set(m.name, ref === undefined ? undefined : doc.components.schemas[ref]);
  }
  return out;
}

describe('schemas/asyncapi.json', () => {
  it('parses with @asyncapi/parser without errors (AsyncAPI 3.0)', async () => {
    const { document, diagnostics } = await new Parser().parse(text);
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const sent = document
      ?.operations()
      .all()
      .filter((o) => o.isSend())
      .flatMap((o) =>
        o
          .messages()
          .all()
          .map((m) => m.name()),
      );
    const received = document
      ?.operations()
      .all()
      .filter((o) => o.isReceive())
      .flatMap((o) =>
        o
          .messages()
          .all()
          .map((m) => m.name()),
      );
    expect(sent?.sort()).toEqual(Object.keys(serverEventSchemas).sort());
    expect(received?.sort()).toEqual(Object.keys(clientEventSchemas).sort());
  });

  it('every client event is answered by the acknowledgement as its reply', () => {
    const receives = Object.values(doc.operations).filter((o) => o.action === 'receive');
    expect(receives.length).toBe(Object.keys(clientEventSchemas).length);
    for (const o of receives) expect(o.reply?.messages).toEqual([{ $ref: '#/channels/root/messages/ack' }]);
  });

  it('its payload schemas accept every payload a realistic history emits, and reject a wrong one', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const schemas = payloadSchemas();
    const validate = (event: string, value: unknown): boolean => {
      const schema = schemas.get(event);
      if (schema === undefined) throw new Error(`no payload for ${event}`);
      return ajv.validate(schema, value);
    };
    const h = generateHistory({ intents: 40, seed: 5, removeRate: 0.3, truncateRate: 0.1 });
    const picks = Array.from({ length: h.lifecycle.length + h.proof.length }, (_, i) => i % 3 !== 0);
    const store = new ProjectionStore();
    const stream = new Stream(undefined, 100);
    const seen = new Set<string>();
    let offset = 0;
    store.applyAll(interleave(decodeAll(h.lifecycle), decodeAll(h.proof), picks), (diff) => {
      stream.advance(0, offset);
      for (const e of stream.record(0, offset++, diff, 1_764_240_000_000, true) ?? []) {
        seen.add(e.event);
        const payload = JSON.parse(JSON.stringify(e.payload)) as unknown;
        expect(validate(e.event, payload), `${e.event}: ${ajv.errorsText()}`).toBe(true);
      }
    });
    expect(seen.size).toBeGreaterThanOrEqual(6);
    expect(validate('mempool:stats', store.stats())).toBe(true);
    expect(validate('mempool:stats', { ...store.stats(), total: -1 })).toBe(false);
    expect(validate('ack', { ok: false, code: 'RATE_LIMITED', message: 'slow down' })).toBe(true);
    expect(validate('ack', { ok: false, code: 'NOPE', message: 'x' })).toBe(false);
    expect(validate('subscribe:intent', `0x${'ab'.repeat(32)}`)).toBe(true);
    expect(validate('subscribe:intent', 42)).toBe(false);
  });
});

describe('GET /asyncapi.json', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves the document of schemas/', async () => {
    const res = await fetch(`http://127.0.0.1:${h.port}/asyncapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(doc);
  });
});
