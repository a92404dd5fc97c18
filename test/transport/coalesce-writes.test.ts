/**
 * One write per socket per run of the pipeline (src/transport/coalesce-writes.ts): the emissions
 * of one batch leave a websocket in one engine.io flush (one `writev`), in order; emissions of
 * separate runs are not held back for each other. Counted with engine.io's own `flush` event.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteCoalescer, type EngineConn } from '../../src/transport/coalesce-writes.js';
import { emitAck, id, record, startHarness, until, wire, type Harness } from '../support/transport-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const AT = '2030-01-01T00:00:00.000Z';
const submitted = (n: number) => wire('intent.submitted', id(n), AT, { fromChain: 1, toChain: 10, amount: '1' });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Counts the flushes of the server's side of every connected socket. */
function flushCounter(harness: Harness): { readonly count: number } {
  const counter = { count: 0 };
  for (const s of harness.transport.io.of('/').sockets.values()) s.conn.on('flush', () => counter.count++);
  return counter;
}

describe('coalesced writes', () => {
  it('the emissions of one batch leave a websocket in one flush, in order; two batches in two', async () => {
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '600000' } });
    const c = await h.connect('websocket');
    expect(await emitAck(c, 'subscribe:all')).toEqual({ ok: true });
    const got = record(c);
    await tick();
    const flushes = flushCounter(h);

    await h.feed([submitted(1), submitted(2), submitted(3), submitted(4)]);
    await until(() => got.of('intent:new').length === 4, 3000, 'four intent:new');
    expect(got.of('intent:new').map((p) => p.intentId)).toEqual([id(1), id(2), id(3), id(4)]);
    // mempool:stats changed too (sent at once, the first change of its interval): same flush
    expect(flushes.count).toBe(1);

    await h.feed([submitted(5), submitted(6)]);
    await tick();
    await h.feed([submitted(7)]);
    await until(() => got.of('intent:new').length === 7, 3000, 'seven intent:new');
    expect(got.of('intent:new').map((p) => p.intentId)).toEqual([1, 2, 3, 4, 5, 6, 7].map(id));
    expect(flushes.count).toBe(3);
  });

  it('the socket with the fewest packets of a run is flushed first', async () => {
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '600000' } });
    const all = await h.connect('websocket');
    const one = await h.connect('websocket');
    expect(await emitAck(all, 'subscribe:all')).toEqual({ ok: true });
    await h.feed([submitted(1)]);
    expect(await emitAck(one, 'subscribe:intent', id(1))).toEqual({ ok: true });
    await tick();
    const order: string[] = [];
    for (const s of h.transport.io.of('/').sockets.values()) {
      const name = s.id === all.id ? 'all' : s.id === one.id ? 'one' : '?';
      s.conn.on('flush', () => order.push(name));
    }
    const gotAll = record(all);
    const gotOne = record(one);
    // the all-intents socket is written to first (intent:new of 2 and 3), the per-intent one once (status of 1)
    await h.feed([submitted(2), submitted(3), wire('intent.matched', id(1), AT, { solver: 's' })]);
    await until(() => gotAll.of('intent:status_changed').length === 1 && gotOne.of('intent:status').length === 1, 3000, 'the run');
    expect(order).toEqual(['one', 'all']);
  });

  it('a polling client gets every emission of a batch too', async () => {
    h = await startHarness({ live: true });
    const c = await h.connect('polling');
    expect(await emitAck(c, 'subscribe:all')).toEqual({ ok: true });
    const got = record(c);
    await h.feed([submitted(1), submitted(2), submitted(3)]);
    await until(() => got.of('intent:new').length === 3, 3000, 'three intent:new');
    expect(got.of('intent:new').map((p) => p.intentId)).toEqual([id(1), id(2), id(3)]);
  });
});

/** An engine.io connection whose transport does not flush on `ready` (as a future engine.io might). */
class DeafConn extends EventEmitter {
  readonly readyState = 'open';
  readonly transport = Object.assign(new EventEmitter(), { name: 'websocket', writable: true });
  readonly writeBuffer: unknown[] = [];
  send(): void {
    this.emit('packetCreate');
    if (this.transport.writable) this.emit('flush');
  }
}

describe('WriteCoalescer', () => {
  it('stops holding (with one warning) when a held socket does not flush on ready', async () => {
    const warnings: string[] = [];
    const w = new WriteCoalescer((m) => warnings.push(m));
    const conn = new DeafConn();
    let flushes = 0;
    conn.on('flush', () => flushes++);
    w.attach(conn as unknown as EngineConn);
    w.hold();
    conn.send();
    expect(conn.transport.writable).toBe(false);
    expect(flushes).toBe(0);
    await tick();
    expect(conn.transport.writable).toBe(true);
    expect(warnings).toHaveLength(1);
    // no longer held: the next packet is flushed at once
    w.hold();
    conn.send();
    expect(flushes).toBe(1);
    await tick();
    expect(warnings).toHaveLength(1);
  });
});
