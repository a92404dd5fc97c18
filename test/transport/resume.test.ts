/**
 * Resume, filtered subscriptions and the first screen over Socket.IO and HTTP (in-process
 * pipeline, real sockets): `{since}` on subscribe:all / subscribe:intents / subscribe:intent,
 * recovered true/false, the filter snapshot and its events, GET /intents with its position.
 * Two nodes on the real broker: test/resume.int.test.ts.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { listResponseSchema } from '../../src/contract/http.js';
import type { IntentEventInput } from '../../src/contract/events.js';
import {
  TRANSPORTS,
  barrier,
  emitAck,
  id,
  record,
  startHarness,
  wire,
  type Client,
  type Harness,
  type Recorder,
} from '../support/transport-harness.js';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const ME = '0xWALLET';
const SOLVER = '0xSOLVER';
const submitted = (intentId: string, s: number, user?: string) =>
  wire('intent.submitted', intentId, at(s), { fromChain: 1, toChain: 2, amount: '5', ...(user === undefined ? {} : { user }) });

/** A history of a few intents; `n` shifts the ids and times so successive calls make new events. */
function lifecycles(n: number): IntentEventInput[] {
  const out: IntentEventInput[] = [];
  for (let i = 0; i < 4; i++) {
    const x = id(n * 16 + i + 1);
    const s = n * 100 + i * 10;
    out.push(submitted(x, s, i % 2 === 0 ? ME : '0xOTHER'));
    out.push(wire('proof.generating', x, at(s + 1)));
    out.push(wire('intent.matched', x, at(s + 2), { solver: i === 1 ? SOLVER : '0xS2' }));
    if (i === 2) out.push(wire('intent.removed', x, at(s + 3)));
    else out.push(wire('intent.source_locked', x, at(s + 3), { txHash: `0x${i}` }));
  }
  return out;
}

/** Room emissions received (those that carry a position). */
const positioned = (rec: Recorder, from = 0) =>
  rec.all.slice(from).filter((r) => typeof (r.payload as { position?: unknown } | undefined)?.position === 'string');

const INTENT_ROOM_EVENTS = ['intent:status', 'intent:proof', 'intent:settlement_proof'];
/**
 * A resumed socket gets each subscription's missed emissions in order, one subscription after
 * the other (an emission it gets through several subscriptions comes once, with the first).
 * So streams are compared per subscription: the all-intents events (removals included) in
 * order, and each intent's room events in order.
 */
function bySubscription(rs: readonly { event: string; payload: unknown }[]) {
  const allIntents = rs.filter((r) => !INTENT_ROOM_EVENTS.includes(r.event)).map((r) => [r.event, r.payload]);
  const intentRooms: Record<string, unknown[]> = {};
  for (const r of rs) {
    if (!INTENT_ROOM_EVENTS.includes(r.event)) continue;
    const x = (r.payload as { intentId: string }).intentId;
    (intentRooms[x] ??= []).push([r.event, r.payload]);
  }
  return { allIntents, intentRooms };
}

async function subscribeAllThree(c: Client, intents: readonly string[], since?: string) {
  const opt = since === undefined ? [] : [{ since }];
  const acks = [await emitAck(c, 'subscribe:all', ...opt), await emitAck(c, 'subscribe:intents', { user: ME }, ...opt)];
  for (const x of intents) acks.push(await emitAck(c, 'subscribe:intent', x, ...opt));
  return acks;
}

function http(h: Harness, urlPath: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.port, path: urlPath, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(TRANSPORTS)('resume over %s', (transport) => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('{since}: exactly the emissions missed by every subscription, in order, none twice, recovered:true; then live', async () => {
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '3600000' } });
    const watched = [id(1), id(3), id(17), id(19)];
    // a control client that never disconnects
    const control = await h.connect(transport);
    const all = record(control);
    await subscribeAllThree(control, watched);
    const c1 = await h.connect(transport);
    const r1 = record(c1);
    await subscribeAllThree(c1, watched);
    const startControl = all.all.length;
    await h.feed(lifecycles(0));
    await barrier(c1);
    const seen = positioned(r1);
    expect(seen.length).toBeGreaterThan(5);
    const last = (seen[seen.length - 1]!.payload as { position: string }).position;
    c1.disconnect();
    await barrier(control);
    const cut = all.all.length;

    await h.feed(lifecycles(1));
    await h.feed([wire('intent.completed', id(1), at(50))]);
    const c2 = await h.connect(transport);
    const r2 = record(c2);
    const acks = await subscribeAllThree(c2, watched, last);
    expect(acks).toEqual(acks.map(() => ({ ok: true, recovered: true })));
    await h.feed([wire('intent.completed', id(17), at(150))]);
    await barrier(c2);
    await barrier(control);
    // what c1 saw, then what c2 got = what the control client got, exactly (positions included)
    expect(positioned(r1)).toEqual(positioned(all, startControl).slice(0, seen.length));
    expect(positioned(all, startControl).length).toBe(seen.length + positioned(all, cut).length);
    expect(bySubscription(positioned(r2))).toEqual(bySubscription(positioned(all, cut)));
    expect(positioned(r2).length).toBe(positioned(all, cut).length);
    expect(await h.metrics.registry.getSingleMetricAsString('intent_projector_resumes_total')).toContain('outcome="recovered"} 6');
  });

  it('a malformed or foreign since: recovered:false and a fresh answer', async () => {
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '3600000' } });
    await h.feed(lifecycles(0));
    const c = await h.connect(transport);
    const rec = record(c);
    for (const since of ['garbage!', 'AQ', 42]) {
      expect(await emitAck(c, 'subscribe:intent', id(1), { since })).toEqual({ ok: true, recovered: false });
    }
    expect(await emitAck(c, 'subscribe:all', { since: 'x' })).toEqual({ ok: true, recovered: false });
    expect(await emitAck(c, 'subscribe:intents', { user: ME }, { since: 'x' })).toEqual({ ok: true, recovered: false });
    await barrier(c);
    // the filter snapshot: the one current intent of ME (its other one, id(3), was removed)
    expect(rec.names()).toEqual(['intent:status', 'intent:status', 'intent:status', 'mempool:stats', 'intent:status', 'pong']);
    const snapshot = rec.of('intent:status').slice(3);
    expect(snapshot.map((s) => s.intentId)).toEqual([id(1)]);
    // without {since}: the plain {ok:true} of the reference
    expect(await emitAck(c, 'subscribe:intent', id(2))).toEqual({ ok: true });
  });

  /** A node whose window no longer holds the position after `lifecycles(0)`: a client and that position. */
  async function pastTheWindow(opts: Parameters<typeof startHarness>[0]) {
    h = await startHarness(opts);
    await h.feed(lifecycles(0));
    const early = h.pipeline.stream.position();
    await h.feed(lifecycles(1));
    const c = await h.connect(transport);
    return { c, rec: record(c), early };
  }

  it('beyond the window (RESUME_WINDOW): recovered:false and a fresh answer', async () => {
    const { c, rec, early } = await pastTheWindow({ live: true, resumeWindow: 3, env: { STATS_INTERVAL_MS: '3600000' } });
    expect(await emitAck(c, 'subscribe:all', { since: early })).toEqual({ ok: true, recovered: false });
    expect(await emitAck(c, 'subscribe:intent', id(17), { since: early })).toEqual({ ok: true, recovered: false });
    await barrier(c);
    expect(rec.names()).toEqual(['mempool:stats', 'intent:status', 'pong']);
    // a recent position still resumes
    const now = h.pipeline.stream.position();
    await h.feed([wire('intent.completed', id(17), at(150))]);
    expect(await emitAck(c, 'subscribe:intent', id(18), { since: now })).toEqual({ ok: true, recovered: true });
  });

  it('beyond the window (RESUME_WINDOW_BYTES): recovered:false, and /metrics shows the bytes held within the bound', async () => {
    const { c, rec, early } = await pastTheWindow({ live: true, env: { STATS_INTERVAL_MS: '3600000', RESUME_WINDOW_BYTES: '3000' } });
    expect(await emitAck(c, 'subscribe:all', { since: early })).toEqual({ ok: true, recovered: false });
    await barrier(c);
    expect(rec.names()).toEqual(['mempool:stats', 'pong']);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    const gauge = (name: string) => Number(/^(\S+) (\S+)$/m.exec(metrics.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2]);
    const bytes = gauge('intent_projector_resume_window_bytes');
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(3000);
    // fewer records than the 32 that changed something: the bytes bound them, not RESUME_WINDOW
    expect(gauge('intent_projector_resume_window_records')).toBeLessThan(32);
    expect(metrics).toContain('intent_projector_resumes_total{outcome="outside_window"} 1');
    // a recent position still resumes
    const now = h.pipeline.stream.position();
    await h.feed([wire('intent.completed', id(17), at(150))]);
    expect(await emitAck(c, 'subscribe:intent', id(17), { since: now })).toEqual({ ok: true, recovered: true });
    await barrier(c);
    // live in the all-intents room, then the intent's own emission from the window
    expect(rec.names().slice(2)).toEqual(['intent:status_changed', 'intent:status', 'pong']);
  });

  it('a position this node has not reached yet: the answer waits for it (RESUME_WAIT_MS), then recovers', async () => {
    const ahead = await startHarness({ live: true });
    h = await startHarness({ live: true, env: { RESUME_WAIT_MS: '10000' } });
    try {
      await ahead.feed(lifecycles(0));
      await h.feed(lifecycles(0).slice(0, 5));
      const c = await h.connect(transport);
      const rec = record(c);
      const ack = emitAck(c, 'subscribe:intent', id(2), { since: ahead.pipeline.stream.position() });
      await barrier(c);
      expect(rec.names()).toEqual(['pong']);
      await h.feed(lifecycles(0).slice(5));
      expect(await ack).toEqual({ ok: true, recovered: true });
      // nothing of id(2) came after that position: nothing replayed
      expect(rec.names()).toEqual(['pong']);
    } finally {
      await ahead.close();
    }
  });

  it('the wait is bounded: recovered:false and a fresh answer after RESUME_WAIT_MS', async () => {
    const ahead = await startHarness({ live: true });
    h = await startHarness({ live: true, env: { RESUME_WAIT_MS: '50' } });
    try {
      await ahead.feed(lifecycles(0));
      const c = await h.connect(transport);
      const rec = record(c);
      expect(await emitAck(c, 'subscribe:intent', id(2), { since: ahead.pipeline.stream.position() })).toEqual({
        ok: true,
        recovered: false,
      });
      expect(rec.names()).toEqual(['intent:not_found']);
    } finally {
      await ahead.close();
    }
  });
});

describe.each(TRANSPORTS)('subscribe:intents over %s', (transport) => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('snapshot of the matching intents, newest first, at most MAX_FILTER_SNAPSHOT; then only their all-intents events', async () => {
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '3600000', MAX_FILTER_SNAPSHOT: '2' } });
    await h.feed([submitted(id(1), 1, ME), submitted(id(2), 2, '0xOTHER'), submitted(id(3), 3, ME), submitted(id(4), 4, ME)]);
    const c = await h.connect(transport);
    const rec = record(c);
    expect(await emitAck(c, 'subscribe:intents', { user: ME })).toEqual({ ok: true });
    await barrier(c);
    expect(rec.of('intent:status').map((s) => s.intentId)).toEqual([id(4), id(3)]);
    await h.feed([
      wire('intent.matched', id(2), at(5), { solver: SOLVER }),
      wire('intent.matched', id(1), at(6), { solver: SOLVER }),
      submitted(id(5), 7, ME),
      wire('proof.generating', id(5), at(8)),
      wire('intent.removed', id(3), at(9)),
      wire('intent.source_lock_requested', id(1), at(10)),
    ]);
    await barrier(c);
    expect(rec.all.slice(3).map((r) => [r.event, (r.payload as { intentId?: string }).intentId])).toEqual([
      ['intent:status_changed', id(1)],
      ['intent:new', id(5)],
      ['intent:proof_changed', id(5)],
      ['intent:removed', id(3)],
      ['pong', undefined],
    ]);
    // a second filter on the same socket; an intent in both gets each event once
    expect(await emitAck(c, 'subscribe:intents', { solver: SOLVER, fromChain: 1 })).toEqual({ ok: true });
    const before = rec.all.length;
    await h.feed([wire('intent.failed', id(1), at(11), { error: 'e', failureReason: 'r' })]);
    await barrier(c);
    expect(
      rec.all
        .slice(before)
        .filter((r) => r.event === 'intent:status_changed')
        .map((r) => (r.payload as { intentId: string }).intentId),
    ).toEqual([id(1)]);
    // unsubscribe:intents (same filter, any field order) stops it
    expect(await emitAck(c, 'unsubscribe:intents', { user: ME })).toEqual({ ok: true });
    expect(await emitAck(c, 'unsubscribe:intents', { fromChain: 1, solver: SOLVER })).toEqual({ ok: true });
    const after = rec.all.length;
    await h.feed([submitted(id(6), 12, ME), wire('intent.matched', id(6), at(13), { solver: SOLVER })]);
    await barrier(c);
    expect(rec.names().slice(after)).toEqual(['pong']);
  });

  it('a malformed filter gets error INVALID_PAYLOAD; filters count toward MAX_SUBSCRIPTIONS_PER_SOCKET; no ADMIN_TOKEN needed', async () => {
    h = await startHarness({ live: true, env: { MAX_SUBSCRIPTIONS_PER_SOCKET: '2', ADMIN_TOKEN: 'secret' } });
    const c = await h.connect(transport);
    const rec = record(c);
    for (const bad of [{}, { user: 1 }, { fromChain: 0 }, { color: 'red' }, 'x', null, [1]]) {
      const ack = await emitAck(c, 'subscribe:intents', bad);
      expect(ack).toMatchObject({ ok: false, code: 'INVALID_PAYLOAD' });
    }
    expect(rec.of('error').every((e) => e.code === 'INVALID_PAYLOAD' && e.event === 'subscribe:intents')).toBe(true);
    expect(rec.of('error')).toHaveLength(7);
    expect(await emitAck(c, 'subscribe:intents', { user: ME })).toEqual({ ok: true });
    expect(await emitAck(c, 'subscribe:intent', id(1))).toEqual({ ok: true });
    expect(await emitAck(c, 'subscribe:intents', { solver: SOLVER })).toMatchObject({ ok: false, code: 'TOO_MANY_SUBSCRIPTIONS' });
    // the same filter again is not counted twice
    expect(await emitAck(c, 'subscribe:intents', { user: ME })).toEqual({ ok: true });
  });
});

describe('GET /intents', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('newest updatedAt first, filtered, paginated by cursor; limit ≤ 500, default 50; 400 on a bad query', async () => {
    h = await startHarness({ live: true });
    const events: IntentEventInput[] = [];
    for (let i = 1; i <= 60; i++) events.push(submitted(id(i), i, i % 3 === 0 ? ME : undefined));
    events.push(wire('intent.matched', id(1), at(100), { solver: SOLVER }));
    await h.feed(events);
    const first = await http(h, '/intents');
    expect(first.status).toBe(200);
    const body = listResponseSchema.parse(first.body);
    expect(body.intents).toHaveLength(50);
    expect(body.intents[0]!.intentId).toBe(id(1));
    expect(body.intents.slice(1, 4).map((i) => i.intentId)).toEqual([id(60), id(59), id(58)]);
    expect(body.position).toBe(h.pipeline.stream.position());
    const second = listResponseSchema.parse((await http(h, `/intents?cursor=${body.nextCursor}`)).body);
    expect(second.intents.map((i) => i.intentId)).toEqual(Array.from({ length: 10 }, (_, k) => id(11 - k)));
    expect(second.nextCursor).toBeNull();
    const mine = listResponseSchema.parse((await http(h, `/intents?user=${ME}&limit=5`)).body);
    expect(mine.intents.map((i) => i.intentId)).toEqual([id(60), id(57), id(54), id(51), id(48)]);
    const matched = listResponseSchema.parse((await http(h, `/intents?status=matched&solver=${SOLVER}&fromChain=1&toChain=2`)).body);
    expect(matched.intents.map((i) => i.intentId)).toEqual([id(1)]);
    expect(listResponseSchema.parse((await http(h, '/intents?proofStatus=verified')).body).intents).toEqual([]);
    for (const bad of ['limit=0', 'limit=501', 'limit=x', 'status=nope', 'fromChain=-1', 'cursor=zz', 'colour=red', 'user=a&user=b']) {
      const r = await http(h, `/intents?${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body).toHaveProperty('error');
    }
    expect(listResponseSchema.parse((await http(h, '/intents?limit=500')).body).intents).toHaveLength(60);
  });

  it('subscribing with the list position repeats nothing and misses nothing', async () => {
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '3600000' } });
    await h.feed(lifecycles(0));
    const list = listResponseSchema.parse((await http(h, '/intents?limit=500')).body);
    await h.feed(lifecycles(1));
    const c = await h.connect('websocket');
    const rec = record(c);
    expect(await emitAck(c, 'subscribe:all', { since: list.position })).toEqual({ ok: true, recovered: true });
    await barrier(c);
    // exactly the all-intents events of the second batch: its four intents' intent:new first
    const events = rec.all.filter((r) => r.event !== 'pong' && r.event !== 'mempool:stats');
    expect(events.filter((r) => r.event === 'intent:new').map((r) => (r.payload as { intentId: string }).intentId)).toEqual([
      id(17),
      id(18),
      id(19),
      id(20),
    ]);
    expect(events.every((r) => ![id(1), id(2), id(3), id(4)].includes((r.payload as { intentId: string }).intentId))).toBe(true);
  });
});
