/**
 * Slow consumers and floods (docs/socket-io.md, "Limits"), with raw websocket clients that do what
 * a browser library never would: stop reading, or send without pause. Assertions are on what the
 * server counts (its buffer accounting, its metrics) and on what clients receive, not on timing.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/log.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { FormattedIntent } from '../../src/contract/socket.js';
import { ALL_INTENTS_ROOM, errorSchema, intentRoom } from '../../src/contract/socket.js';
import type { PositionedEmission } from '../../src/fanout/emissions.js';
import type { Projection } from '../../src/reduce/projection.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { decodeEvent } from '../support/histories.js';
import { RawSocketIo } from '../support/raw-engine.js';
import { barrier, emitAck, id, record, startHarness, until, wire, type Harness } from '../support/transport-harness.js';

let h: Harness | null = null;
const raws: RawSocketIo[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.destroy();
  await h?.close();
  h = null;
});

const BOUND = 64 * 1024;

/** The projection an emission is about (filters match on it; none is subscribed here). */
function projection(n: number): Projection {
  const store = new ProjectionStore();
  store.apply(decodeEvent(wire('intent.submitted', id(n), '2030-01-01T00:00:00.000Z', { fromChain: 1, toChain: 10, amount: '1' })));
  return store.get(id(n))!;
}

function intent(n: number, version: number): FormattedIntent {
  const at = '2030-01-01T00:00:00.000Z';
  return {
    intentId: id(n),
    status: 'proofs_pending',
    proofStatus: 'pending',
    solver: null,
    fromChain: 1,
    toChain: 10,
    amount: '1'.repeat(100),
    user: null,
    position: 'AQ',
    createdAt: at,
    updatedAt: at,
    matchedAt: null,
    completedAt: null,
    htlcState: 'none',
    txHashes: {},
    error: null,
    failureReason: null,
    version,
    timestamp: 1,
  };
}

async function counter(harness: Harness, name: 'disconnects' | 'withheldEmissions', label: string): Promise<number> {
  const m = await harness.metrics[name].get();
  return m.values.filter((v) => Object.values(v.labels).includes(label)).reduce((a, v) => a + v.value, 0);
}

async function highWater(harness: Harness): Promise<number> {
  await harness.metrics.scrape();
  return (await harness.metrics.bufferedBytesHighWater.get()).values[0]?.value ?? 0;
}

/** A logger whose JSON lines the test reads. */
const captured = (): { lines: Record<string, unknown>[]; logger: Logger } => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
};

/**
 * A raw websocket that stops reading, then sends `packets`: resolves, once the server disconnected
 * it as a slow consumer, with the most the server's accounting held for any socket.
 */
async function stallAfter(harness: Harness, packets: readonly string[]): Promise<number> {
  const stalled = await RawSocketIo.connect(harness.port);
  raws.push(stalled);
  stalled.stopReading();
  for (const p of packets) stalled.send(p);
  await expect.poll(() => counter(harness, 'disconnects', 'slow_consumer'), { timeout: 20_000 }).toBe(1);
  return highWater(harness);
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('slow consumers', () => {
  it('a websocket that stops reading is disconnected after the grace; the server holds no more than the bound for it; a healthy client gets all', async () => {
    h = await startHarness({ live: true, env: { MAX_SOCKET_BUFFER_BYTES: String(BOUND), SLOW_CONSUMER_GRACE_MS: '300' } });
    const healthy = await h.connect('websocket');
    expect(await emitAck(healthy, 'subscribe:all')).toEqual({ ok: true });
    const got = record(healthy);
    const stalled = await RawSocketIo.connect(h.port);
    raws.push(stalled);
    expect(await stalled.call(1, 'subscribe:all')).toBe('[{"ok":true}]');
    stalled.stopReading();

    let sent = 0;
    for (let round = 0; round < 2000 && (await counter(h, 'disconnects', 'slow_consumer')) === 0; round++) {
      const batch: PositionedEmission[] = [];
      for (let i = 0; i < 100; i++)
        batch.push({ rooms: [ALL_INTENTS_ROOM], event: 'intent:new', payload: intent(++sent, 1), intent: projection(1) });
      h.transport.deliver(batch);
      await tick();
    }
    expect(await counter(h, 'disconnects', 'slow_consumer')).toBe(1);
    // the server's accounting: never more than the bound (plus the packet that crossed it)
    const hw = await highWater(h);
    expect(hw).toBeGreaterThanOrEqual(BOUND);
    expect(hw).toBeLessThan(BOUND + 2048);
    expect(await counter(h, 'withheldEmissions', 'lost')).toBe(1);
    // the connection is really closed: reading again, the client reaches its end
    stalled.socket.resume();
    await stalled.whenClosed();
    // the healthy client was not held back: it receives every emission
    await until(() => got.of('intent:new').length === sent, 20_000, 'every intent:new on the healthy client');
    expect(h.transport.io.of('/').sockets.size).toBe(1);
  });

  it('a resume of more than the bound is written as the socket drains: a reader gets all of it, a socket that stopped reading holds no more than the bound and is disconnected', async () => {
    h = await startHarness({
      live: true,
      // (a grace long enough for the reader below to drain its part under load)
      env: { MAX_SOCKET_BUFFER_BYTES: String(BOUND), SLOW_CONSUMER_GRACE_MS: '2000', STATS_INTERVAL_MS: '3600000' },
    });
    const control = await h.connect('websocket');
    expect(await emitAck(control, 'subscribe:all')).toEqual({ ok: true });
    const seen = record(control);
    await h.feed([wire('intent.submitted', id(1), '2030-01-01T00:00:00.000Z', { fromChain: 1, toChain: 10, amount: '1' })]);
    await until(() => seen.of('intent:new').length === 1);
    const since = seen.of('intent:new')[0]!.position;
    // ~6 MB of emissions after `since`: more than the bound, and more than the kernel's socket buffers
    const MISSED = 12_000;
    const events = [];
    for (let n = 2; n <= MISSED + 1; n++)
      events.push(wire('intent.submitted', id(n), '2030-01-01T00:00:01.000Z', { fromChain: 1, toChain: 10, amount: String(n) }));
    // in small parts, so that the control client (reading) never reaches the bound itself
    for (let i = 0; i < events.length; i += 50) {
      await h.feed(events.slice(i, i + 50));
      await barrier(control);
    }
    expect(seen.of('intent:new')).toHaveLength(MISSED + 1);

    // the server's accounting: never more than the bound (plus the packet that crossed it)
    const hw = await stallAfter(h, [`421${JSON.stringify(['subscribe:all', { since }])}`]);
    expect(hw).toBeGreaterThanOrEqual(BOUND);
    expect(hw).toBeLessThan(BOUND + 2048);

    const reader = await h.connect('websocket');
    const got = record(reader);
    // (the ack comes after the whole resume: a longer wait than emitAck's)
    const ack = await new Promise((resolve) => reader.emit('subscribe:all', { since }, resolve));
    expect(ack).toEqual({ ok: true, recovered: true });
    expect(got.of('intent:new').map((p) => p.position)).toEqual(
      seen
        .of('intent:new')
        .slice(1)
        .map((p) => p.position),
    );
    expect(await highWater(h)).toBeLessThan(BOUND + 2048);
    expect(await counter(h, 'disconnects', 'slow_consumer')).toBe(1);
  });

  it('subscriptions sent to a socket at the bound wait for it to drain: many filter snapshots to a socket that stopped reading hold no more than the bound and one snapshot', async () => {
    // (a grace long enough for the reader below to drain one snapshot under load)
    h = await startHarness({ live: true, env: { MAX_SOCKET_BUFFER_BYTES: String(BOUND), SLOW_CONSUMER_GRACE_MS: '2000' } });
    const USERS = ['0xu1', '0xu2'];
    const events = [];
    for (let n = 1; n <= 4000; n++)
      events.push(
        wire('intent.submitted', id(n), '2030-01-01T00:00:00.000Z', {
          fromChain: 1 + (n % 4),
          toChain: 10 + (n % 5),
          amount: String(n),
          user: USERS[n % 2]!,
        }),
      );
    await h.feed(events);
    // 39 filters, each matching 200-1000 intents (at most MAX_FILTER_SNAPSHOT = 1000 statuses each)
    const filters: Record<string, unknown>[] = [];
    for (let f = 1; f <= 4; f++) filters.push({ fromChain: f });
    for (let t = 10; t <= 14; t++) filters.push({ toChain: t });
    for (let f = 1; f <= 4; f++) for (let t = 10; t <= 14; t++) filters.push({ fromChain: f, toChain: t });
    for (const user of USERS) filters.push({ user });
    for (const user of USERS) for (let f = 1; f <= 4; f++) filters.push({ user, fromChain: f });
    // one snapshot: at most 1000 statuses of ~500 bytes
    const hw = await stallAfter(
      h,
      filters.map((filter, i) => `42${i + 1}${JSON.stringify(['subscribe:intents', filter])}`),
    );
    expect(hw).toBeGreaterThanOrEqual(BOUND);
    expect(hw).toBeLessThan(BOUND + 600_000);
    // a reader subscribing the same gets every snapshot in full
    const reader = await h.connect('websocket');
    const got = record(reader);
    for (const filter of filters) expect(await emitAck(reader, 'subscribe:intents', filter)).toEqual({ ok: true });
    const data = events.map((e) => e.data as Record<string, unknown>);
    const matching = (f: Record<string, unknown>): number =>
      Math.min(1000, data.filter((d) => Object.entries(f).every(([k, v]) => d[k] === v)).length);
    expect(got.of('intent:status')).toHaveLength(filters.reduce((n, f) => n + matching(f), 0));
  });

  it('an all-intents subscriber that missed events while slow gets error SLOW_CONSUMER once it reads again, and is disconnected (to resume)', async () => {
    h = await startHarness({ live: true, env: { MAX_SOCKET_BUFFER_BYTES: String(BOUND), SLOW_CONSUMER_GRACE_MS: '600000' } });
    const slow = await RawSocketIo.connect(h.port);
    raws.push(slow);
    expect(await slow.call(1, 'subscribe:all')).toBe('[{"ok":true}]');
    slow.stopReading();
    let sent = 0;
    for (let round = 0; round < 2000 && (await counter(h, 'withheldEmissions', 'lost')) === 0; round++) {
      const batch: PositionedEmission[] = [];
      for (let i = 0; i < 100; i++)
        batch.push({ rooms: [ALL_INTENTS_ROOM], event: 'intent:new', payload: intent(++sent, 1), intent: projection(1) });
      h.transport.deliver(batch);
      await tick();
    }
    expect(await counter(h, 'withheldEmissions', 'lost')).toBe(1);
    expect(await counter(h, 'disconnects', 'slow_consumer')).toBe(0);
    slow.socket.resume();
    const error = await slow.next((t) => t.startsWith('42["error"'));
    expect(JSON.parse(error.slice(2))).toMatchObject(['error', { event: 'disconnect', code: 'SLOW_CONSUMER' }]);
    await slow.whenClosed();
    expect(await counter(h, 'disconnects', 'slow_consumer')).toBe(1);
    // it got fewer intent:new than were sent: the missed ones are what it resumes
    expect(slow.received.filter((t) => t.startsWith('42["intent:new"')).length).toBeLessThan(sent);
  });

  it('a per-intent subscriber that falls behind gets the newest intent:status (older ones conflated) and stays connected once it reads again', async () => {
    h = await startHarness({ live: true, env: { MAX_SOCKET_BUFFER_BYTES: String(BOUND), SLOW_CONSUMER_GRACE_MS: '600000' } });
    const slow = await RawSocketIo.connect(h.port);
    raws.push(slow);
    expect(await slow.call(1, 'subscribe:intent', id(7))).toBe('[{"ok":true}]');
    slow.stopReading();
    let version = 0;
    for (let round = 0; round < 2000 && (await counter(h, 'withheldEmissions', 'conflated')) < 1000; round++) {
      const batch: PositionedEmission[] = [];
      for (let i = 0; i < 100; i++)
        batch.push({ rooms: [intentRoom(id(7))], event: 'intent:status', payload: intent(7, ++version), intent: projection(7) });
      h.transport.deliver(batch);
      await tick();
    }
    expect(await counter(h, 'withheldEmissions', 'conflated')).toBeGreaterThanOrEqual(1000);
    expect(await highWater(h)).toBeLessThan(BOUND + 2048);
    slow.socket.resume();
    const last = `42["intent:status",${JSON.stringify(intent(7, version))}]`;
    await slow.next((t) => t === last);
    expect(await counter(h, 'disconnects', 'slow_consumer')).toBe(0);
    // fewer frames than updates: the conflated ones were never sent
    const statuses = slow.received.filter((t) => t.startsWith('42["intent:status"'));
    expect(statuses.length).toBeLessThan(version);
    expect(slow.closed).toBe(false);
  });
});

describe('floods', () => {
  it('a socket flooding events is disconnected; dropped events get no ack; a healthy socket keeps its answers', async () => {
    const { lines, logger } = captured();
    h = await startHarness({
      live: true,
      logger,
      env: { RATE_LIMIT_PER_SECOND: '20', FLOOD_FACTOR: '5', FLOOD_DISCONNECT_MS: '1000' },
    });
    const healthy = await h.connect('websocket');
    const flooder = await RawSocketIo.connect(h.port);
    raws.push(flooder);
    let sent = 0;
    const flood = setInterval(() => {
      for (let i = 0; i < 50 && !flooder.closed; i++) flooder.send(`42${++sent}["ping"]`);
    }, 5);
    try {
      const answers: unknown[] = [];
      // the healthy client stays under its own limit: one ping per 100 ms (10/s of 20/s)
      while (!flooder.closed && answers.length < 10_000) {
        answers.push(await emitAck(healthy, 'ping'));
        await new Promise((r) => setTimeout(r, 100));
      }
      await flooder.whenClosed();
      for (const a of answers) expect(a).toEqual({ ok: true });
      expect(answers.length).toBeGreaterThan(0);
    } finally {
      clearInterval(flood);
    }
    expect(await counter(h, 'disconnects', 'flood')).toBe(1);
    const logged = lines.filter((l) => String(l['msg']).startsWith('client disconnected: more than FLOOD_FACTOR'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, limitPerSecond: 100 });
    const dropped = (await h.metrics.droppedClientEvents.get()).values[0]?.value ?? 0;
    const acks = flooder.received.filter((t) => t.startsWith('43')).length;
    const errors = flooder.received.filter((t) => t.startsWith('42["error"')).length;
    expect(dropped).toBeGreaterThan(acks * 5);
    expect(acks + dropped).toBeLessThanOrEqual(sent);
    // one RATE_LIMITED error per second at most, not one per dropped event
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(dropped / 100);
    expect(healthy.connected).toBe(true);
  });
});

describe('packets that break the protocol', () => {
  it('a packet Socket.IO cannot decode: the client reads INVALID_PAYLOAD, then only its connection is closed; counted and logged once', async () => {
    const { lines, logger } = captured();
    h = await startHarness({ live: true, logger });
    const healthy = await h.connect('websocket');
    // not JSON (a raw control character), a reserved event name, an event name that is not a string
    const packets = ['42["subscribe:intent","\u0000"]', '42["connect"]', '42[{"a":1}]'];
    for (const packet of packets) {
      const bad = await RawSocketIo.connect(h.port);
      raws.push(bad);
      bad.send(packet);
      const error = JSON.parse((await bad.next((t) => t.startsWith('42["error"'))).slice(2)) as [string, unknown];
      expect(error[0]).toBe('error');
      expect(errorSchema.parse(error[1])).toMatchObject({ event: '', code: 'INVALID_PAYLOAD' });
      expect((error[1] as { message: string }).message).toMatch(
        /^not a Socket\.IO packet this server can decode \(.+\); the connection is closed$/,
      );
      await bad.whenClosed();
      expect(await emitAck(healthy, 'ping')).toEqual({ ok: true });
    }
    expect(await counter(h, 'disconnects', 'invalid_packet')).toBe(packets.length);
    const errors = (await h.metrics.clientErrors.get()).values.find((v) => v.labels['code'] === 'INVALID_PAYLOAD')?.value;
    expect(errors).toBe(packets.length);
    // one line for the three (folded for 10 s), not one per client
    const logged = lines.filter((l) => l['msg'] === 'client disconnected: a packet Socket.IO cannot decode');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, disconnectedSinceLastLine: 0 });
    expect(healthy.connected).toBe(true);
  });

  it.each(['websocket', 'polling'] as const)(
    'a message over MAX_MESSAGE_BYTES over %s: its connection closed, counted as message_too_large and logged',
    async (transport) => {
      const { lines, logger } = captured();
      h = await startHarness({ live: true, logger, env: { MAX_MESSAGE_BYTES: '1024' } });
      const healthy = await h.connect(transport);
      const bad = await h.connect(transport);
      const disconnected = new Promise<string>((resolve) => bad.once('disconnect', (reason) => resolve(reason)));
      bad.emit('subscribe:intent', 'x'.repeat(4096));
      expect(['transport close', 'transport error']).toContain(await disconnected);
      await expect.poll(() => counter(h!, 'disconnects', 'message_too_large')).toBe(1);
      expect(await counter(h, 'disconnects', 'invalid_packet')).toBe(0);
      expect(lines.filter((l) => l['msg'] === 'client disconnected: a message larger than MAX_MESSAGE_BYTES (1024)')).toHaveLength(1);
      expect(await emitAck(healthy, 'ping')).toEqual({ ok: true });
    },
  );
});
