/**
 * HTTP on the Socket.IO port (docs/contract.md § HTTP): health, readiness, metrics, intents,
 * stats, static files, and Socket.IO's own paths (client bundle, handshake) on the same server.
 */
import { request } from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formattedIntentSchema, mempoolStatsSchema, settlementProofSchema } from '../../src/contract/socket.js';
import { FIXED_NOW, TRANSPORTS, emitAck, id, startHarness, wire, type Harness } from '../support/transport-harness.js';

const at = (s: number): string => new Date(Date.parse('2026-11-27T10:00:00.000Z') + s * 1000).toISOString();
const A = id(0xa);

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request (fetch would normalise paths such as /../). */
function http(h: Harness, method: string, urlPath: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.port, method, path: urlPath, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

const json = (r: Res): unknown => JSON.parse(r.body);

function publicDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'public-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe('http', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('GET /healthz → 200 {status:"ok"}, also while catching up', async () => {
    h = await startHarness({ live: false });
    const r = await http(h, 'GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json(r)).toEqual({ status: 'ok' });
  });

  it('GET /healthz and /readyz answer during a replay handed over in chunks back to back (the pipeline yields across batches)', async () => {
    h = await startHarness({ live: false });
    // like the Kafka source: a fetch response's records in chunks, one batch each, the next handed
    // over as soon as the last is applied, without the event loop running in between; each chunk
    // takes far less than the pipeline's yield slice (YIELD_AFTER_MS)
    const chunk = 100;
    const chunks = 1000;
    const total = chunks * chunk;
    const values = Array.from({ length: total }, (_, i) =>
      JSON.stringify(wire('intent.submitted', id(i + 1), at(0), { fromChain: 1, toChain: 2, amount: '1' })),
    );
    const feeding = (async () => {
      for (let c = 0; c < chunks; c++) await h.feedRaw(values.slice(c * chunk, (c + 1) * chunk));
    })();
    // the records the replay had applied when each answer came: fewer than all = during the replay
    const health = await http(h, 'GET', '/healthz');
    const appliedAtHealth = h.pipeline.records;
    const ready = await http(h, 'GET', '/readyz');
    const appliedAtReady = h.pipeline.records;
    await feeding;
    expect(health.status).toBe(200);
    expect(json(health)).toEqual({ status: 'ok' });
    expect(ready.status).toBe(503);
    expect(appliedAtHealth).toBeLessThan(total);
    expect(appliedAtReady).toBeLessThan(total);
    expect(h.pipeline.records).toBe(total);
  });

  it('GET /readyz → 503 with the reason while catching up, 200 once caught up', async () => {
    h = await startHarness({ live: false });
    const before = await http(h, 'GET', '/readyz');
    expect(before.status).toBe(503);
    expect(json(before)).toEqual({ status: 'not_ready', reason: 'catching up (0%)', caughtUp: false });
    h.catchUp();
    const after = await http(h, 'GET', '/readyz');
    expect(after.status).toBe(200);
    expect(json(after)).toEqual({ status: 'ready', caughtUp: true });
  });

  it('GET /metrics → Prometheus text with the socket gauges and emissions by event', async () => {
    h = await startHarness({ live: true });
    const a = await h.connect('websocket');
    const b = await h.connect('polling');
    await emitAck(a, 'subscribe:intent', A);
    await emitAck(a, 'subscribe:intent', id(2));
    await emitAck(b, 'subscribe:intent', A);
    await emitAck(b, 'subscribe:all');
    await h.feed([wire('intent.submitted', A, at(0), { fromChain: 1, toChain: 2, amount: '1' })]);
    const r = await http(h, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain');
    for (const name of [
      'intent_projector_events_applied_total',
      'intent_projector_dead_letters_total',
      'intent_projector_consumer_lag',
      'intent_projector_catchup_progress_ratio',
      'intent_projector_connected_sockets',
      'intent_projector_subscriptions',
      'intent_projector_emissions_total',
    ]) {
      expect(r.body).toContain(`# TYPE ${name} `);
    }
    expect(r.body).toMatch(/^intent_projector_connected_sockets 2$/m);
    expect(r.body).toMatch(/^intent_projector_subscriptions\{kind="intent"\} 3$/m);
    expect(r.body).toMatch(/^intent_projector_subscriptions\{kind="all"\} 1$/m);
    expect(r.body).toMatch(/^intent_projector_emissions_total\{event="intent:status"\} 1$/m);
    expect(r.body).toMatch(/^intent_projector_emissions_total\{event="intent:new"\} 1$/m);
  });

  it('GET /intents/:intentId → 200 formatted intent (any case), 404 unknown, 400 malformed', async () => {
    h = await startHarness({ live: true });
    await h.feed([
      wire('intent.submitted', A, at(0), { fromChain: 1, toChain: 2, amount: '1.5', user: '0xUSER' }),
      wire('intent.matched', A, at(1), { solver: 'solver-1' }),
    ]);
    const ok = await http(h, 'GET', `/intents/${A.toUpperCase().replace('0X', '0x')}`);
    expect(ok.status).toBe(200);
    expect(json(ok)).toStrictEqual({
      intentId: A,
      status: 'matched',
      proofStatus: 'pending',
      solver: 'solver-1',
      fromChain: 1,
      toChain: 2,
      amount: '1.5',
      createdAt: at(0),
      updatedAt: at(1),
      matchedAt: at(1),
      completedAt: null,
      htlcState: 'none',
      txHashes: {},
      error: null,
      failureReason: null,
      version: 2,
      user: '0xUSER',
      position: h.pipeline.stream.position(),
      timestamp: FIXED_NOW,
    });
    expect(formattedIntentSchema.safeParse(json(ok)).success).toBe(true);

    const missing = await http(h, 'GET', `/intents/${id(0xb)}`);
    expect(missing.status).toBe(404);
    expect(json(missing)).toEqual({ error: `intent ${id(0xb)} not found`, intentId: id(0xb) });

    for (const bad of ['/intents/abc', '/intents/0x1234', `/intents/${'%'}zz`]) {
      const r = await http(h, 'GET', bad);
      expect(r.status, bad).toBe(400);
      expect(json(r)).toEqual({ error: 'intentId must be 0x followed by 64 hex digits' });
    }
  });

  it('GET /intents/:intentId/settlement-proof → 200 the latest settlement proof, 404 when none or unknown, 400 malformed', async () => {
    h = await startHarness({ live: true });
    await h.feed([wire('intent.submitted', A, at(0), { fromChain: 1, toChain: 2, amount: '1.5' })]);
    const none = await http(h, 'GET', `/intents/${A}/settlement-proof`);
    expect(none.status).toBe(404);
    expect(json(none)).toEqual({ error: `intent ${A} has no settlement proof`, intentId: A });

    await h.feed([
      wire('proof.settlement_generated', A, at(5), { proof: '0xNEWEST', verifier: '0xV' }),
      wire('proof.settlement_generated', A, at(3), { proof: '0xOLDER' }),
    ]);
    const ok = await http(h, 'GET', `/intents/${A.toUpperCase().replace('0X', '0x')}/settlement-proof`);
    expect(ok.status).toBe(200);
    expect(json(ok)).toStrictEqual({
      intentId: A,
      proof: '0xNEWEST',
      verifier: '0xV',
      generatedAt: at(5),
      position: h.pipeline.stream.position(),
      timestamp: FIXED_NOW,
    });
    expect(settlementProofSchema.safeParse(json(ok)).success).toBe(true);

    const unknown = await http(h, 'GET', `/intents/${id(0xb)}/settlement-proof`);
    expect(unknown.status).toBe(404);
    expect(json(unknown)).toEqual({ error: `intent ${id(0xb)} not found`, intentId: id(0xb) });
    expect((await http(h, 'GET', '/intents/0x12/settlement-proof')).status).toBe(400);
    expect((await http(h, 'GET', `/intents/${A}/settlement-proof/x`)).status).toBe(404);
  });

  it('GET /stats → the mempool counts', async () => {
    h = await startHarness({ live: true });
    await h.feed([
      wire('intent.submitted', id(1), at(0), { fromChain: 1, toChain: 2, amount: '1' }),
      wire('intent.submitted', id(2), at(0), { fromChain: 1, toChain: 2, amount: '1' }),
      wire('intent.cancelled', id(2), at(1)),
    ]);
    const r = await http(h, 'GET', '/stats?x=1');
    expect(r.status).toBe(200);
    expect(json(r)).toStrictEqual({ total: 2, submitted: 1, matched: 0, executing: 0, completed: 0, failed: 0, cancelled: 1 });
    expect(mempoolStatsSchema.safeParse(json(r)).success).toBe(true);
    expect(r.headers['access-control-allow-origin']).toBe('*');
  });

  it('GET / and static files from public/, with content types; nothing outside it', async () => {
    const dir = publicDir({
      'index.html': '<!doctype html><title>dash</title>',
      'app.js': 'console.log(1)',
      'css/site.css': 'body{}',
      'x.svg': '<svg/>',
    });
    writeFileSync(path.join(path.dirname(dir), 'secret.txt'), 'secret');
    h = await startHarness({ live: true, publicDir: dir });
    const index = await http(h, 'GET', '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toBe('<!doctype html><title>dash</title>');
    const js = await http(h, 'GET', '/app.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe('console.log(1)');
    const css = await http(h, 'GET', '/css/site.css?v=2');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const svg = await http(h, 'GET', '/x.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    for (const p of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e/%2e%2e/secret.txt',
      '/css/..%2f..%2fsecret.txt',
      '/css%5c..%5c..%5csecret.txt',
      '/%00',
      '/%zz',
      '/css',
    ]) {
      const r = await http(h, 'GET', p);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('secret');
    }
  });

  it('GET / → 404 text when public/index.html is missing; unknown paths → 404; non-GET → 405; HEAD has no body', async () => {
    h = await startHarness({ live: true, publicDir: publicDir({}) });
    const root = await http(h, 'GET', '/');
    expect(root.status).toBe(404);
    expect(root.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((await http(h, 'GET', '/nope')).status).toBe(404);
    const post = await http(h, 'POST', '/healthz');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
    expect((await http(h, 'DELETE', `/intents/${A}`)).status).toBe(405);
    const head = await http(h, 'HEAD', '/healthz');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('/socket.io/ is Socket.IO’s: the client bundle and the polling handshake are served on the same port', async () => {
    h = await startHarness({ live: true });
    const bundle = await http(h, 'GET', '/socket.io/socket.io.min.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toContain('javascript');
    expect(bundle.body.length).toBeGreaterThan(10_000);
    const handshake = await http(h, 'GET', '/socket.io/?EIO=4&transport=polling');
    expect(handshake.status).toBe(200);
    expect(handshake.body.startsWith('0{')).toBe(true);
    expect(JSON.parse(handshake.body.slice(1))).toMatchObject({ upgrades: ['websocket'], maxPayload: h.config.MAX_MESSAGE_BYTES });
  });
});

describe.each(TRANSPORTS)('close over %s', (transport) => {
  it('close() disconnects clients and frees the port promptly, also with keep-alive HTTP connections open', async () => {
    const h = await startHarness({ live: true });
    const c = await h.connect(transport);
    const disconnected = new Promise<void>((resolve) => c.once('disconnect', () => resolve()));
    // a keep-alive connection left open
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: h.port, path: '/healthz', headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.end();
    });
    const started = Date.now();
    await h.transport.close();
    await disconnected;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.transport.httpServer.listening).toBe(false);
    await h.transport.close(); // idempotent
  });
});
