/**
 * Every error code of docs/contract.md § Socket.IO over websocket and polling: the `error` event
 * `{event, code, message}`, the `{ok:false, code, message}` ack, nothing changed by the refused
 * event, and the socket (and every other socket) working normally afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Ack, errorSchema, intentRoom, ALL_INTENTS_ROOM } from '../../src/contract/socket.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/transport/metrics.js';
import { Stream } from '../../src/fanout/stream.js';
import { createTransport } from '../../src/transport/server.js';
import { io as ioClient } from 'socket.io-client';
import {
  TRANSPORTS,
  barrier,
  emitAck,
  id,
  nextEvent,
  record,
  startHarness,
  wire,
  type Client,
  type Harness,
} from '../support/transport-harness.js';

const at = (s: number): string => new Date(Date.parse('2026-11-27T10:00:00.000Z') + s * 1000).toISOString();
const A = id(0xa);
const submitted = (intentId: string) => wire('intent.submitted', intentId, at(0), { fromChain: 1, toChain: 2, amount: '5' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rooms the server has this client's socket in (besides its own id room). */
function roomsOf(h: Harness, c: Client): string[] {
  const socket = h.transport.io.of('/').sockets.get(c.id!);
  return socket === undefined ? [] : [...socket.rooms].filter((r) => r !== socket.id).sort();
}

describe.each(TRANSPORTS)('client errors over %s', (transport) => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('INVALID_INTENT_ID: malformed ids are refused, nothing is joined, then a valid subscribe works', async () => {
    h = await startHarness({ live: true });
    const c = await h.connect(transport);
    const rec = record(c);
    for (const bad of ['abc', '0x1234', `0x${'g'.repeat(64)}`, `${'a'.repeat(66)}`, `0x${'a'.repeat(65)}`, '']) {
      const error = nextEvent(c, 'error');
      const ack = await emitAck(c, 'subscribe:intent', bad);
      expect(ack).toStrictEqual({ ok: false, code: 'INVALID_INTENT_ID', message: 'intentId must be 0x followed by 64 hex digits' });
      expect(await error).toStrictEqual({
        event: 'subscribe:intent',
        code: 'INVALID_INTENT_ID',
        message: 'intentId must be 0x followed by 64 hex digits',
      });
    }
    const unsub = nextEvent(c, 'error');
    expect(await emitAck(c, 'unsubscribe:intent', 'nope')).toMatchObject({ ok: false, code: 'INVALID_INTENT_ID' });
    expect(await unsub).toMatchObject({ event: 'unsubscribe:intent', code: 'INVALID_INTENT_ID' });
    expect(roomsOf(h, c)).toEqual([]);
    expect(rec.names().every((n) => n === 'error')).toBe(true);
    for (const e of rec.of('error')) expect(errorSchema.safeParse(e).success).toBe(true);

    await h.feed([submitted(A)]);
    const status = nextEvent(c, 'intent:status');
    expect(await emitAck(c, 'subscribe:intent', A)).toEqual({ ok: true });
    expect((await status).intentId).toBe(A);
    expect(roomsOf(h, c)).toEqual([intentRoom(A)]);
  });

  it('INVALID_PAYLOAD: a non-string or oversized intentId is refused; without an ack the error event still comes', async () => {
    h = await startHarness({ live: true });
    const c = await h.connect(transport);
    for (const bad of [42, null, { intentId: A }, [A], true]) {
      const error = nextEvent(c, 'error');
      const ack = await emitAck(c, 'subscribe:intent', bad);
      expect(ack).toMatchObject({ ok: false, code: 'INVALID_PAYLOAD' });
      expect(await error).toMatchObject({ event: 'subscribe:intent', code: 'INVALID_PAYLOAD' });
    }
    // no argument at all, only the ack
    expect(await emitAck(c, 'subscribe:intent')).toMatchObject({ ok: false, code: 'INVALID_PAYLOAD' });
    // an oversized string (still under MAX_MESSAGE_BYTES)
    expect(await emitAck(c, 'subscribe:intent', `0x${'a'.repeat(500)}`)).toStrictEqual({
      ok: false,
      code: 'INVALID_PAYLOAD',
      message: 'intentId is too long (502 characters)',
    });
    expect(await emitAck(c, 'unsubscribe:intent', 7)).toMatchObject({ ok: false, code: 'INVALID_PAYLOAD' });
    expect(await emitAck(c, 'subscribe:intent', { intentId: A })).toMatchObject({ message: 'intentId must be a string, got an object' });
    expect(await emitAck(c, 'subscribe:intent', new Uint8Array([1, 2]))).toMatchObject({
      message: 'intentId must be a string, got binary data',
    });
    // no ack: the error event alone
    const error = nextEvent(c, 'error');
    (c as unknown as { emit(e: string, ...a: unknown[]): void }).emit('subscribe:intent', 12);
    expect(await error).toStrictEqual({
      event: 'subscribe:intent',
      code: 'INVALID_PAYLOAD',
      message: 'intentId must be a string, got a number',
    });
    expect(roomsOf(h, c)).toEqual([]);
    // extra arguments to subscribe:all are ignored
    expect(await emitAck(c, 'subscribe:all', 'extra', 1)).toEqual({ ok: true });
    expect(await emitAck(c, 'subscribe:intent', A)).toEqual({ ok: true });
    expect(roomsOf(h, c)).toEqual([ALL_INTENTS_ROOM, intentRoom(A)].sort());
  });

  it('TOO_MANY_SUBSCRIPTIONS past MAX_SUBSCRIPTIONS_PER_SOCKET intent rooms; re-subscribing and freeing a slot work', async () => {
    h = await startHarness({ live: true, env: { MAX_SUBSCRIPTIONS_PER_SOCKET: '2' } });
    const c = await h.connect(transport);
    const other = await h.connect(transport);
    expect(await emitAck(c, 'subscribe:intent', id(1))).toEqual({ ok: true });
    expect(await emitAck(c, 'subscribe:intent', id(2))).toEqual({ ok: true });
    const error = nextEvent(c, 'error');
    expect(await emitAck(c, 'subscribe:intent', id(3))).toStrictEqual({
      ok: false,
      code: 'TOO_MANY_SUBSCRIPTIONS',
      message: 'at most 2 intent and filter subscriptions per connection',
    });
    expect(await error).toStrictEqual({
      event: 'subscribe:intent',
      code: 'TOO_MANY_SUBSCRIPTIONS',
      message: 'at most 2 intent and filter subscriptions per connection',
    });
    expect(roomsOf(h, c)).toEqual([intentRoom(id(1)), intentRoom(id(2))]);
    // the same intent again is not a new subscription; the all-intents room does not count
    expect(await emitAck(c, 'subscribe:intent', id(2).toUpperCase().replace('0X', '0x'))).toEqual({ ok: true });
    expect(await emitAck(c, 'subscribe:all')).toEqual({ ok: true });
    // the cap is per socket
    expect(await emitAck(other, 'subscribe:intent', id(3))).toEqual({ ok: true });
    // freeing a slot lets a new one in
    expect(await emitAck(c, 'unsubscribe:intent', id(1))).toEqual({ ok: true });
    expect(await emitAck(c, 'subscribe:intent', id(3))).toEqual({ ok: true });
    expect(roomsOf(h, c)).toEqual([ALL_INTENTS_ROOM, intentRoom(id(2)), intentRoom(id(3))].sort());
  });

  it('UNAUTHORIZED: subscribe:all needs auth {token} equal to ADMIN_TOKEN; the socket keeps working', async () => {
    h = await startHarness({ live: true, env: { ADMIN_TOKEN: 's3cret-token', STATS_INTERVAL_MS: '3600000' } });
    const anonymous = await h.connect(transport);
    const wrong = await h.connect(transport, { auth: { token: 's3cret-tokem' } });
    const short = await h.connect(transport, { auth: { token: 's' } });
    const notString = await h.connect(transport, { auth: { token: 42 } });
    const admin = await h.connect(transport, { auth: { token: 's3cret-token' } });
    for (const c of [anonymous, wrong, short, notString]) {
      const rec = record(c);
      const error = nextEvent(c, 'error');
      const ack = await emitAck(c, 'subscribe:all');
      expect(ack).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
      expect(await error).toMatchObject({ event: 'subscribe:all', code: 'UNAUTHORIZED' });
      await barrier(c);
      expect(rec.of('mempool:stats')).toEqual([]);
      expect(roomsOf(h, c)).toEqual([]);
    }
    const stats = nextEvent(admin, 'mempool:stats');
    expect(await emitAck(admin, 'subscribe:all')).toEqual({ ok: true });
    await stats;
    // refused sockets receive no all-intents broadcasts, but can still subscribe to an intent
    const anonRec = record(anonymous);
    expect(await emitAck(anonymous, 'subscribe:intent', A)).toEqual({ ok: true });
    const created = nextEvent(admin, 'intent:new');
    await h.feed([submitted(A)]);
    expect((await created).intentId).toBe(A);
    await barrier(anonymous);
    expect(anonRec.names().filter((n) => n !== 'pong')).toEqual(['intent:not_found', 'intent:status']);
  });

  it('RATE_LIMITED: events over RATE_LIMIT_PER_SECOND (burst 2x) are dropped unread and unanswered, others unaffected, and the socket recovers', async () => {
    h = await startHarness({ live: true, env: { RATE_LIMIT_PER_SECOND: '5' } });
    const c = await h.connect(transport);
    const other = await h.connect(transport);
    const rec = record(c);
    // 16 pings and then a subscription, sent at once
    const acks: Ack[] = [];
    for (let i = 0; i < 16; i++) c.emit('ping', (a) => acks.push(a));
    c.emit('subscribe:all', (a) => acks.push(a));
    const error = nextEvent(c, 'error');
    // the error event names the event; it is sent once per second at most, however many are dropped
    expect(await error).toMatchObject({ event: 'ping', code: 'RATE_LIMITED' });
    expect(errorSchema.safeParse(rec.of('error')[0]).success).toBe(true);
    // another socket has its own bucket
    expect(await emitAck(other, 'ping')).toEqual({ ok: true });
    // after the bucket refills (5 tokens/s → 1 per 200 ms), events work again; the server reads a
    // socket's events in order, so this ack also means every earlier event was handled or dropped
    await sleep(450);
    expect(await emitAck(c, 'ping')).toEqual({ ok: true });
    const ok = acks.length;
    // the burst (10), less the token the connection's CONNECT packet took, + what refilled meanwhile (5/s)
    expect(ok).toBeGreaterThanOrEqual(9);
    expect(ok).toBeLessThanOrEqual(11);
    // dropped events got no ack and were not processed: one pong per answered ping (+ the last one)
    for (const a of acks) expect(a).toEqual({ ok: true });
    expect(rec.of('pong').length).toBe(ok + 1);
    expect(rec.of('error')).toHaveLength(1);
    // the subscription, sent last, was dropped
    expect(roomsOf(h, c)).toEqual([]);
    expect(await emitAck(c, 'subscribe:all')).toEqual({ ok: true });
    expect((await h.metrics.droppedClientEvents.get()).values[0]?.value).toBe(17 - ok);
  });

  it('unknown events, including one named "error", are ignored and the server keeps serving', async () => {
    h = await startHarness({ live: true });
    const c = await h.connect(transport);
    const untyped = c as unknown as { emit(e: string, ...a: unknown[]): void };
    untyped.emit('hello', 1, 2);
    untyped.emit('error', 'boom');
    untyped.emit('subscribe:intent\u0000', A);
    await barrier(c);
    expect(c.connected).toBe(true);
    expect(await emitAck(c, 'subscribe:intent', A)).toEqual({ ok: true });
  });

  it('a message larger than MAX_MESSAGE_BYTES closes only that connection', async () => {
    h = await startHarness({ live: true, env: { MAX_MESSAGE_BYTES: '1024' } });
    const bad = await h.connect(transport);
    const good = await h.connect(transport);
    const disconnected = new Promise<string>((resolve) => bad.once('disconnect', (reason) => resolve(reason)));
    bad.emit('subscribe:intent', 'x'.repeat(4096));
    expect(['transport close', 'transport error']).toContain(await disconnected);
    expect(await emitAck(good, 'ping')).toEqual({ ok: true });
  });
});

describe('a failing handler', () => {
  it('is contained: the client gets no answer, the process and other events keep working', async () => {
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0' });
    const store = {
      get: (): never => {
        throw new Error('store exploded');
      },
      projections: () => [],
      listing: () => [],
      stats: () => ({ total: 0, submitted: 0, matched: 0, executing: 0, completed: 0, failed: 0, cancelled: 0 }),
    };
    const t = createTransport({
      config,
      logger: createLogger('silent', { pretty: false }),
      metrics: new Metrics({ defaultMetrics: false }),
      store,
      stream: new Stream(undefined, 10),
      readiness: () => ({ ready: true, reason: null, caughtUp: true }),
    });
    const port = await t.listen();
    const c = ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    try {
      await new Promise<void>((resolve) => c.once('connect', () => resolve()));
      const answer = c.timeout(300).emitWithAck('subscribe:intent', A);
      await expect(answer).rejects.toThrow();
      expect(c.connected).toBe(true);
      expect(await c.timeout(2000).emitWithAck('subscribe:all')).toEqual({ ok: true });
    } finally {
      c.disconnect();
      await t.close();
    }
  });
});
