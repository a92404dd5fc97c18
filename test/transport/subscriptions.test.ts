/**
 * Subscription behaviour over websocket and polling: rooms joined and left, removal, the
 * catch-up queue (nothing emitted before, every subscription answered after), and the
 * coalescing of mempool:stats broadcasts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  FIXED_NOW,
  TRANSPORTS,
  barrier,
  emitAck,
  id,
  nextEvent,
  record,
  startHarness,
  until,
  wire,
  type Harness,
} from '../support/transport-harness.js';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const A = id(0xa);
const B = id(0xb);
const submitted = (intentId: string, s = 0) => wire('intent.submitted', intentId, at(s), { fromChain: 1, toChain: 2, amount: '5' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(TRANSPORTS)('subscriptions over %s', (transport) => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('unsubscribe:intent stops delivery of that intent only', async () => {
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '3600000' } });
    await h.feed([submitted(A), submitted(B)]);
    const c = await h.connect(transport);
    const rec = record(c);
    await emitAck(c, 'subscribe:intent', A);
    await emitAck(c, 'subscribe:intent', B);
    expect(await emitAck(c, 'unsubscribe:intent', A.toUpperCase().replace('0X', '0x'))).toEqual({ ok: true });
    await h.feed([wire('intent.matched', A, at(1), { solver: 's' }), wire('intent.matched', B, at(1), { solver: 's' })]);
    await barrier(c);
    const statuses = rec.of('intent:status');
    // two answers to the subscriptions, then only B's change
    expect(statuses.map((s) => [s.intentId, s.status])).toEqual([
      [A, 'proofs_pending'],
      [B, 'proofs_pending'],
      [B, 'matched'],
    ]);
    // unsubscribing from a room the socket is not in is fine
    expect(await emitAck(c, 'unsubscribe:intent', id(0xdead))).toEqual({ ok: true });
  });

  it('unsubscribe:all stops the all-intents broadcasts; the intent room keeps working', async () => {
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '3600000' } });
    const c = await h.connect(transport);
    const rec = record(c);
    await emitAck(c, 'subscribe:all');
    await emitAck(c, 'subscribe:intent', B);
    await h.feed([submitted(A)]);
    await barrier(c);
    expect(rec.of('intent:new').map((p) => p.intentId)).toEqual([A]);
    expect(await emitAck(c, 'unsubscribe:all')).toEqual({ ok: true });
    await h.feed([submitted(B), wire('intent.matched', A, at(1), { solver: 's' })]);
    await barrier(c);
    expect(rec.of('intent:new').map((p) => p.intentId)).toEqual([A]);
    expect(rec.of('intent:status_changed')).toEqual([]);
    expect(rec.of('intent:status').map((p) => p.intentId)).toEqual([B]);
  });

  it('intent:removed reaches the intent room and the all-intents room; a socket in both rooms gets it once, others not at all', async () => {
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '3600000' } });
    await h.feed([submitted(A)]);
    const roomOnly = await h.connect(transport);
    const allOnly = await h.connect(transport);
    const both = await h.connect(transport);
    const bystander = await h.connect(transport);
    const recs = [roomOnly, allOnly, both, bystander].map(record);
    await emitAck(roomOnly, 'subscribe:intent', A);
    await emitAck(allOnly, 'subscribe:all');
    await emitAck(both, 'subscribe:intent', A);
    await emitAck(both, 'subscribe:all');
    await emitAck(bystander, 'subscribe:intent', B);
    h.now = FIXED_NOW + 7;
    await h.feed([wire('intent.removed', A, at(5))]);
    await Promise.all([roomOnly, allOnly, both, bystander].map(barrier));
    const removed = { intentId: A, position: expect.any(String), timestamp: FIXED_NOW + 7 };
    expect(recs[0]!.of('intent:removed')).toStrictEqual([removed]);
    expect(recs[1]!.of('intent:removed')).toStrictEqual([removed]);
    // one broadcast to [intent room, all room]: a socket in both rooms receives it once
    expect(recs[2]!.of('intent:removed')).toStrictEqual([removed]);
    expect(recs[3]!.of('intent:removed')).toStrictEqual([]);
    // after removal, a new subscriber gets not_found
    const nf = nextEvent(bystander, 'intent:not_found');
    await emitAck(bystander, 'subscribe:intent', A);
    expect(await nf).toStrictEqual({ intentId: A });
  });

  it('subscriptions made while catching up are answered after caughtUp(), and nothing is emitted before', async () => {
    h = await startHarness({ live: false, env: { STATS_INTERVAL_MS: '3600000' } });
    await h.feed([submitted(A), wire('proof.generating', A, at(1))]);
    const c = await h.connect(transport);
    const rec = record(c);
    const acks: unknown[] = [];
    const ackA = emitAck(c, 'subscribe:intent', A).then((a) => acks.push(['A', a]));
    const ackB = emitAck(c, 'subscribe:intent', B).then((a) => acks.push(['B', a]));
    const ackAll = emitAck(c, 'subscribe:all').then((a) => acks.push(['all', a]));
    // more history while catching up: still nothing to clients
    await h.feed([wire('intent.matched', A, at(2), { solver: 's' }), submitted(id(0xc))]);
    await barrier(c); // ping is answered at once, so everything sent before it has arrived
    await barrier(c);
    expect(rec.names()).toEqual(['pong', 'pong']);
    expect(acks).toEqual([]);

    h.now = FIXED_NOW + 1;
    h.catchUp();
    await Promise.all([ackA, ackB, ackAll]);
    await barrier(c);
    expect(acks).toEqual([
      ['A', { ok: true }],
      ['B', { ok: true }],
      ['all', { ok: true }],
    ]);
    expect(rec.names().filter((n) => n !== 'pong')).toEqual(['intent:status', 'intent:not_found', 'mempool:stats']);
    const [status] = rec.of('intent:status');
    expect(status).toMatchObject({
      intentId: A,
      status: 'matched',
      proofStatus: 'generating',
      solver: 's',
      version: 3,
      timestamp: FIXED_NOW + 1,
    });
    expect(rec.of('intent:not_found')).toStrictEqual([{ intentId: B }]);
    expect(rec.of('mempool:stats')).toStrictEqual([
      { total: 2, submitted: 1, matched: 1, executing: 0, completed: 0, failed: 0, cancelled: 0 },
    ]);

    // live from now on: the queued subscriptions joined their rooms
    await h.feed([submitted(B)]);
    await barrier(c);
    expect(rec.of('intent:status').map((p) => p.intentId)).toEqual([A, B]);
    expect(rec.of('intent:new').map((p) => p.intentId)).toEqual([B]);
  });

  it('while catching up at most 2 x MAX_SUBSCRIPTIONS_PER_SOCKET + 2 changes wait per socket; one more is refused at once', async () => {
    h = await startHarness({ live: false, env: { STATS_INTERVAL_MS: '3600000', MAX_SUBSCRIPTIONS_PER_SOCKET: '2' } });
    const c = await h.connect(transport);
    // subscribe and unsubscribe in a loop: each one waits (6 = 2 x 2 + 2)
    const waiting: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      waiting.push(emitAck(c, 'subscribe:intent', A));
      waiting.push(emitAck(c, 'unsubscribe:intent', A));
    }
    await barrier(c);
    expect(await emitAck(c, 'subscribe:intent', B)).toStrictEqual({
      ok: false,
      code: 'TOO_MANY_SUBSCRIPTIONS',
      message: 'at most 6 subscription changes wait per connection while the node catches up',
    });
    expect(await emitAck(c, 'unsubscribe:all')).toMatchObject({ ok: false, code: 'TOO_MANY_SUBSCRIPTIONS' });
    h.catchUp();
    expect(await Promise.all(waiting)).toEqual(waiting.map(() => ({ ok: true })));
    // live: no bound on changes any more (the rate limit applies)
    for (let i = 0; i < 4; i++) expect(await emitAck(c, 'subscribe:intent', B)).toEqual({ ok: true });
  });

  it('queued (un)subscriptions keep their order; a socket that leaves while queued is dropped', async () => {
    h = await startHarness({ live: false, env: { STATS_INTERVAL_MS: '3600000' } });
    const c = await h.connect(transport);
    const gone = await h.connect(transport);
    const rec = record(c);
    const done = Promise.all([emitAck(c, 'subscribe:intent', A), emitAck(c, 'unsubscribe:intent', A), emitAck(c, 'subscribe:intent', B)]);
    gone.emit('subscribe:intent', A);
    gone.emit('subscribe:all');
    await barrier(gone);
    gone.disconnect();
    await until(() => h.transport.io.of('/').sockets.size === 1, 3000, 'server to see the disconnect');
    h.catchUp();
    expect(await done).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    await h.feed([submitted(A), submitted(B)]);
    await barrier(c);
    expect(rec.names().filter((n) => n !== 'pong')).toEqual(['intent:not_found', 'intent:not_found', 'intent:status']);
    expect(rec.of('intent:status').map((p) => p.intentId)).toEqual([B]);
  });

  it('mempool:stats: at once on subscribe:all, then coalesced to at most one per STATS_INTERVAL_MS, the last equal to the counts', async () => {
    const interval = 200;
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: String(interval) } });
    const c = await h.connect(transport);
    const received: { at: number; stats: unknown }[] = [];
    c.on('mempool:stats', (stats) => received.push({ at: performance.now(), stats }));
    await emitAck(c, 'subscribe:all');
    expect(received.map((r) => r.stats)).toStrictEqual([
      { total: 0, submitted: 0, matched: 0, executing: 0, completed: 0, failed: 0, cancelled: 0 },
    ]);

    // 50 creations, one batch each, in two bursts
    for (let i = 1; i <= 25; i++) await h.feed([submitted(id(i))]);
    await sleep(interval + 50);
    for (let i = 26; i <= 50; i++) await h.feed([submitted(id(i))]);
    await h.feed([wire('intent.matched', id(1), at(1), { solver: 's' })]);
    const final = { total: 50, submitted: 49, matched: 1, executing: 0, completed: 0, failed: 0, cancelled: 0 };
    await until(() => JSON.stringify(received.at(-1)?.stats) === JSON.stringify(final), 3000, 'final stats');

    const broadcasts = received.slice(1);
    expect(broadcasts.length).toBeGreaterThanOrEqual(1);
    // 51 changes, at most one broadcast per interval (the spacing itself is checked on the
    // server's clock in units.test.ts: over polling, two broadcasts can share one HTTP response)
    expect(broadcasts.length).toBeLessThanOrEqual(3);
    expect(broadcasts.at(-1)!.stats).toStrictEqual(final);

    // changes that leave the counts as they were broadcast send nothing
    const before = received.length;
    await h.feed([wire('proof.generating', id(2), at(1))]); // no internal status change
    await h.feed([submitted(id(99)), wire('intent.removed', id(99), at(1))]); // +1 then -1
    await sleep(interval * 2);
    await barrier(c);
    expect(received.length).toBe(before);
  });

  it('clients on websocket and polling side by side each get the intent updates', async () => {
    h = await startHarness({ live: true });
    await h.feed([submitted(A)]);
    const other = await h.connect(transport === 'websocket' ? 'polling' : 'websocket');
    const c = await h.connect(transport);
    const s1 = nextEvent(c, 'intent:status');
    const s2 = nextEvent(other, 'intent:status');
    c.emit('subscribe:intent', A);
    other.emit('subscribe:intent', A);
    expect((await s1).intentId).toBe(A);
    expect((await s2).intentId).toBe(A);
    const u1 = nextEvent(c, 'intent:status');
    const u2 = nextEvent(other, 'intent:status');
    await h.feed([wire('intent.matched', A, at(1), { solver: 's' })]);
    expect((await u1).status).toBe('matched');
    expect((await u2).status).toBe('matched');
  });
});
