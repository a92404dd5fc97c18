/**
 * HTTP on fastify (src/transport/http-app.ts): `GET /openapi.json` is a valid OpenAPI 3.1 document
 * of every route, generated from the zod route schemas, whose response schemas accept what the
 * server really answers; request logs are pino lines with fastify's request id.
 */
import { Writable } from 'node:stream';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, id, startHarness, wire } from '../support/transport-harness.js';

const A = id(0xa);
const at = (s: number): string => new Date(Date.parse('2026-11-27T10:00:00.000Z') + s * 1000).toISOString();

interface OpenApi {
  openapi: string;
  paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, { schema: object }> }> } }>;
}

async function openapi(h: Harness): Promise<OpenApi> {
  const res = await fetch(`${h.url}/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as OpenApi;
}

function responseSchema(doc: OpenApi, path: string, status: number): object {
  const schema = doc.paths[path]?.get?.responses[String(status)]?.content?.['application/json']?.schema;
  if (schema === undefined) throw new Error(`no ${status} schema for GET ${path}`);
  return schema;
}

describe('GET /openapi.json', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('is a valid OpenAPI 3.1 document listing every HTTP route', async () => {
    h = await startHarness({ live: true });
    const doc = await openapi(h);
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/healthz', '/intents', '/intents/{intentId}', '/intents/{intentId}/settlement-proof', '/metrics', '/readyz', '/stats'].sort(),
    );
  });

  it('its response schemas accept what the server answers, and reject a wrong answer', async () => {
    h = await startHarness({ live: true });
    await h.feed([
      wire('intent.submitted', A, at(0), { fromChain: 1, toChain: 2, amount: '1.5', user: '0xU' }),
      wire('proof.settlement_generated', A, at(3), { proof: '0xP', verifier: '0xV' }),
    ]);
    const doc = await openapi(h);
    const ajv = new Ajv2020({ strict: false });
    const check = async (path: string, url: string, status: number): Promise<unknown> => {
      const res = await fetch(`${h.url}${url}`);
      expect(res.status, url).toBe(status);
      const body = (await res.json()) as unknown;
      expect(ajv.validate(responseSchema(doc, path, status), body), `${url}: ${ajv.errorsText()}`).toBe(true);
      return body;
    };
    const intent = await check('/intents/{intentId}', `/intents/${A}`, 200);
    await check('/intents/{intentId}', `/intents/${id(0xb)}`, 404);
    await check('/intents/{intentId}', '/intents/0x12', 400);
    await check('/intents/{intentId}/settlement-proof', `/intents/${A}/settlement-proof`, 200);
    await check('/stats', '/stats', 200);
    await check('/readyz', '/readyz', 200);
    await check('/healthz', '/healthz', 200);
    expect(ajv.validate(responseSchema(doc, '/intents/{intentId}', 200), { ...(intent as object), status: 'teleported' })).toBe(false);
  });
});

describe('request logs', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('are pino JSON lines with a request id, method, url and status; probes and scrapes write none', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    h = await startHarness({ live: true, logger: pino({ level: 'info' }, sink) });
    await fetch(`${h.url}/healthz`);
    await fetch(`${h.url}/metrics`);
    await fetch(`${h.url}/stats`);
    await fetch(`${h.url}/intents/${id(0xb)}`);
    await expect.poll(() => lines.filter((l) => l['msg'] === 'request completed').length).toBe(2);
    const completed = lines.filter((l) => l['msg'] === 'request completed');
    expect(completed.map((l) => (l['res'] as { statusCode: number }).statusCode)).toEqual([200, 404]);
    const incoming = lines.filter((l) => l['msg'] === 'incoming request');
    expect(incoming.map((l) => (l['req'] as { url: string }).url)).toEqual(['/stats', `/intents/${id(0xb)}`]);
    expect(incoming.map((l) => l['reqId'])).toEqual(completed.map((l) => l['reqId']));
    expect(new Set(completed.map((l) => l['reqId'])).size).toBe(2);
  });
});
