/**
 * Resume on any node, on the real broker (KAFKA_BROKERS), with real service instances:
 *
 * - a client subscribed on node A (all-intents, a filter, a few intents) disconnects, events
 *   flow, it reconnects to node B with `{since}`: it gets exactly what a client connected to B
 *   all along got for the records its position does not cover, per subscription in order, none
 *   twice, `recovered: true`, then live;
 * - the same after node A restarts (it rebuilt its window while replaying): every record the
 *   position does not cover comes back, checked against the partitions' end offsets;
 * - beyond the window: `recovered: false` and a fresh answer;
 * - list then resume, over many runs: GET /intents while events flow, then subscribe with its
 *   position: the client's state (list + stream) equals the server's projections.
 *
 * Records are identified from positions (src/fanout/position.ts): a control client in the room
 * of every intent gets at least one emission per record, so consecutive positions name them.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { listResponseSchema } from '../../src/contract/http.js';
import type { IntentEventInput } from '../../src/contract/events.js';
import type { Ack, FormattedIntent, IntentFilter } from '../../src/contract/socket.js';
import { covers, decodePosition, slotOf, topicsHash, type Cut } from '../../src/fanout/position.js';
import { kafka } from '../support/broker.js';
import { generateHistory } from '../support/histories.js';
import {
  connectClient,
  createTestTopics,
  eventually,
  produceEvents,
  startKafkaService,
  type Received,
  type RecordingClient,
  type RunningService,
  type TestTopics,
} from '../support/service-harness.js';

const services: RunningService[] = [];
const clients: RecordingClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

const ALL_ROOM = new Set(['intent:new', 'intent:status_changed', 'intent:proof_changed', 'intent:removed']);
const INTENT_ROOM = new Set(['intent:status', 'intent:proof', 'intent:settlement_proof']);
const ENV = { MAX_SUBSCRIPTIONS_PER_SOCKET: '1000', STATS_INTERVAL_MS: '3600000', RESUME_WAIT_MS: '20000' };

const positionOf = (r: Received): string | undefined =>
  typeof r.payload['position'] === 'string' ? (r.payload['position'] as string) : undefined;
const positioned = (rs: readonly Received[]): Received[] => rs.filter((r) => positionOf(r) !== undefined);

async function ack(c: RecordingClient, event: string, ...args: unknown[]): Promise<Ack> {
  return (await (c.socket as unknown as ClientSocket).timeout(30_000).emitWithAck(event, ...args)) as Ack;
}

/** Subscribes all-intents, a filter and intents, each with `{since}` when given; returns the acks. */
async function subscribe(c: RecordingClient, filter: IntentFilter, intents: readonly string[], since?: string): Promise<Ack[]> {
  const opt = since === undefined ? [] : [{ since }];
  const acks = [await ack(c, 'subscribe:all', ...opt), await ack(c, 'subscribe:intents', filter, ...opt)];
  for (const x of intents) acks.push(await ack(c, 'subscribe:intent', x, ...opt));
  return acks;
}

interface Rec {
  readonly slot: number;
  readonly offset: number;
  readonly index: number;
}

/**
 * The record and emission number of every emission of a client that gets at least one emission
 * per record (consecutive emissions of one record share the offsets; a new record moves one slot).
 */
function identify(rs: readonly Received[], hash: number, base: Cut): Rec[] {
  let prev = base.offsets;
  let current: Rec | null = null;
  return rs.map((r) => {
    const cut = decodePosition(hash, positionOf(r))!;
    expect(cut, 'a valid position').not.toBeNull();
    const n = Math.max(prev.length, cut.offsets.length);
    const moved = Array.from({ length: n }, (_, s) => s).filter((s) => (cut.offsets[s] ?? 0) !== (prev[s] ?? 0));
    if (moved.length === 0 && current !== null) {
      current = { ...current, index: current.index + 1 };
    } else if (moved.length === 0 && base.partial !== null) {
      // the rest of the record the base position covered only partly
      const slot = base.partial.slot;
      current = { slot, offset: (base.offsets[slot] ?? 0) - 1, index: base.partial.index + 1 };
    } else {
      expect(moved, 'one record between two emissions').toHaveLength(1);
      const slot = moved[0]!;
      current = { slot, offset: (cut.offsets[slot] ?? 0) - 1, index: 0 };
    }
    prev = cut.offsets;
    return current;
  });
}

/** Per subscription, in order: the all-intents events, and each intent's room events. */
function bySubscription(rs: readonly Received[]) {
  const allIntents = rs.filter((r) => ALL_ROOM.has(r.event)).map((r) => [r.event, r.payload]);
  const rooms: Record<string, unknown[]> = {};
  for (const r of rs) if (INTENT_ROOM.has(r.event)) (rooms[String(r.payload['intentId'])] ??= []).push([r.event, r.payload]);
  return { allIntents, rooms };
}

function noneTwice(rs: readonly Received[]): void {
  const keys = rs.map((r) => `${positionOf(r)} ${r.event}`);
  expect(new Set(keys).size).toBe(keys.length);
}

function lastPosition(c: RecordingClient): string {
  const p = positioned(c.received);
  return positionOf(p[p.length - 1]!)!;
}

/** Produces events and waits until every node applied them (so every node is past them). */
async function produceAndApply(topics: TestTopics, nodes: readonly RunningService[], events: readonly IntentEventInput[]): Promise<void> {
  const before = nodes.map((n) => n.service.pipeline.records);
  await produceEvents(kafka('resume-producer'), topics, events);
  await eventually(
    () => nodes.every((n, i) => n.service.pipeline.records >= before[i]! + events.length),
    60_000,
    () => `nodes to apply ${events.length} records (${nodes.map((n) => n.service.pipeline.records).join(', ')})`,
  );
}

async function getJson(url: string): Promise<unknown> {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  return r.json();
}

/**
 * A live history; `events` without the removals, `removals` apart: produced after the rest is
 * applied, no proof event can come after its intent's removal (it would be ignored, a record
 * with no emission, and the control client could not name the records from positions).
 */
function liveHistory(seed: number, intents: number, startIso: string) {
  const h = generateHistory({ intents, seed, startAt: Date.parse(startIso), removeRate: 0.2 });
  const all = [...h.lifecycle, ...h.proof];
  return { ...h, all, events: all.filter((e) => e.type !== 'intent.removed'), removals: all.filter((e) => e.type === 'intent.removed') };
}

async function produceAll(topics: TestTopics, nodes: readonly RunningService[], h: ReturnType<typeof liveHistory>): Promise<void> {
  await produceAndApply(topics, nodes, h.events);
  await produceAndApply(topics, nodes, h.removals);
}

describe('resume on the real broker', () => {
  it('node A → node B with {since}: exactly the missed emissions, per subscription in order, none twice, recovered:true', async () => {
    const topics = await createTestTopics('resume-ab', 3);
    const hash = topicsHash(topics.lifecycle, topics.proofs);
    const phase1 = liveHistory(31, 20, '2027-01-01T00:00:00Z');
    const phase2 = liveHistory(32, 20, '2027-01-02T00:00:00Z');
    const phase3 = liveHistory(33, 10, '2027-01-03T00:00:00Z');
    const ids = [...phase1.intentIds, ...phase2.intentIds, ...phase3.intentIds];
    const nodes = await Promise.all([startKafkaService(topics, { env: ENV }), startKafkaService(topics, { env: ENV })]);
    services.push(...nodes);
    const [a, b] = nodes as [RunningService, RunningService];
    await Promise.all(nodes.map((n) => n.service.caughtUp));
    const first = phase1.events[0] as Extract<IntentEventInput, { type: 'intent.submitted' }>;
    const filter: IntentFilter = { fromChain: first.data.fromChain };
    const watched = [phase1.intentIds[0]!, phase1.intentIds[1]!, phase2.intentIds[0]!, phase2.intentIds[1]!, phase3.intentIds[0]!];

    // the control client on B, in every room: at least one emission per record
    const base = decodePosition(hash, listResponseSchema.parse(await getJson(`${b.service.url}/intents`)).position)!;
    const control = await connectClient(b.service.url);
    clients.push(control);
    expect(await subscribe(control, filter, ids)).toEqual(Array(ids.length + 2).fill({ ok: true }));
    const c1 = await connectClient(a.service.url);
    clients.push(c1);
    await subscribe(c1, filter, watched);

    await produceAll(topics, nodes, phase1);
    await eventually(() => c1.of('intent:new').length === phase1.intentIds.length, 20_000, 'phase 1 on A');
    const since = lastPosition(c1);
    c1.close();

    await produceAll(topics, nodes, phase2);
    const c2 = await connectClient(b.service.url);
    clients.push(c2);
    const acks = await subscribe(c2, filter, watched, since);
    expect(acks).toEqual(acks.map(() => ({ ok: true, recovered: true })));
    await produceAll(topics, nodes, phase3);
    const total = ids.length;
    await eventually(
      () => control.of('intent:new').length === total && c2.of('intent:new').length >= phase2.intentIds.length + phase3.intentIds.length,
      20_000,
      'phase 3 on B',
    );
    // everything B emitted has arrived: its status count for the last record
    await eventually(
      () => positioned(control.received).length > 0 && lastPosition(control) === b.service.pipeline.stream.position(),
      20_000,
      'control caught up',
    );

    const cut = decodePosition(hash, since)!;
    const ctl = positioned(control.received);
    const recs = identify(ctl, hash, base);
    const watchedSet = new Set(watched);
    const expected = ctl.filter((r, i) => {
      const rec = recs[i]!;
      if (covers(cut, rec.slot, rec.offset, rec.index)) return false;
      return ALL_ROOM.has(r.event) || watchedSet.has(String(r.payload['intentId']));
    });
    await eventually(
      () => positioned(c2.received).length >= expected.length,
      20_000,
      () => `c2 got ${positioned(c2.received).length} of ${expected.length}`,
    );
    const got = positioned(c2.received);
    expect(bySubscription(got)).toEqual(bySubscription(expected));
    expect(got).toHaveLength(expected.length);
    noneTwice(got);
    expect(expected.length).toBeGreaterThan(50);
    // and nothing of phase 1 came again
    const phase1Ids = new Set(phase1.intentIds);
    expect(got.filter((r) => r.event === 'intent:new' && phase1Ids.has(String(r.payload['intentId'])))).toEqual([]);
    // slots of this test's topics: 3 partitions each
    expect(cut.offsets.length).toBeLessThanOrEqual(slotOf(1, 2) + 1);
  });

  it('after node A restarts: every intent the position does not cover comes back from its creation, once; beyond the window: recovered:false', async () => {
    const topics = await createTestTopics('resume-restart', 3);
    const phase1 = liveHistory(41, 15, '2027-02-01T00:00:00Z');
    const phase2 = liveHistory(42, 15, '2027-02-02T00:00:00Z');
    const ids = [...phase1.intentIds, ...phase2.intentIds];
    let a = await startKafkaService(topics, { env: ENV });
    await a.service.caughtUp;
    const first = phase1.events[0] as Extract<IntentEventInput, { type: 'intent.submitted' }>;
    const filter: IntentFilter = { fromChain: first.data.fromChain };
    const c1 = await connectClient(a.service.url);
    clients.push(c1);
    await subscribe(c1, filter, ids);
    await produceAll(topics, [a], phase1);
    await eventually(() => c1.of('intent:new').length === phase1.intentIds.length, 20_000, 'phase 1');
    await eventually(() => lastPosition(c1) === a.service.pipeline.stream.position(), 20_000, 'every phase 1 emission on the client');
    const since = lastPosition(c1);
    c1.close();
    await a.stop();

    // events flow while A is down; A comes back and replays (rebuilding its window)
    await produceEvents(kafka('resume-producer'), topics, phase2.all);
    a = await startKafkaService(topics, { env: ENV });
    services.push(a);
    await a.service.caughtUp;
    const small = await startKafkaService(topics, { env: { ...ENV, RESUME_WINDOW: '5' } });
    services.push(small);
    await small.service.caughtUp;

    const c2 = await connectClient(a.service.url);
    clients.push(c2);
    const acks = await subscribe(c2, filter, ids, since);
    expect(acks).toEqual(acks.map(() => ({ ok: true, recovered: true })));
    const got = positioned(c2.received);
    noneTwice(got);
    // nothing of phase 1 again (all of it was covered); every phase 2 intent once, from its creation:
    // intent:new once, its room's intent:status versions 1, 2, … without a gap or a repeat
    const phase1Ids = new Set(phase1.intentIds);
    expect(got.filter((r) => phase1Ids.has(String(r.payload['intentId'])))).toEqual([]);
    const news = got.filter((r) => r.event === 'intent:new').map((r) => String(r.payload['intentId']));
    expect([...news].sort()).toEqual([...phase2.intentIds].sort());
    for (const x of phase2.intentIds) {
      const versions = got
        .filter((r) => r.event === 'intent:status' && r.payload['intentId'] === x)
        .map((r) => Number(r.payload['version']));
      expect(versions, x).toEqual(versions.map((_, i) => i + 1));
      const p = a.service.pipeline.store.get(x);
      if (p !== undefined) expect(versions[versions.length - 1]).toBe(p.version);
      else expect(got.filter((r) => r.event === 'intent:removed' && r.payload['intentId'] === x)).toHaveLength(1);
    }
    expect(got.length).toBeGreaterThan(phase2.all.length);
    // the client's view converged: the last intent:status of each intent is the node's projection
    const last = new Map<string, Record<string, unknown>>();
    for (const r of [...c1.received, ...c2.received]) if (r.event === 'intent:status') last.set(String(r.payload['intentId']), r.payload);
    for (const x of ids) {
      const p = a.service.pipeline.store.get(x);
      if (p === undefined) continue;
      const server = (await getJson(`${a.service.url}/intents/${x}`)) as FormattedIntent;
      const { position: _p1, timestamp: _t1, ...mine } = last.get(x) as unknown as FormattedIntent;
      const { position: _p2, timestamp: _t2, ...theirs } = server;
      expect(mine).toEqual(theirs);
    }

    // beyond the window: a fresh answer
    const c3 = await connectClient(small.service.url);
    clients.push(c3);
    expect(await ack(c3, 'subscribe:all', { since })).toEqual({ ok: true, recovered: false });
    expect(await ack(c3, 'subscribe:intent', ids[0], { since })).toEqual({ ok: true, recovered: false });
    expect(await ack(c3, 'subscribe:intents', filter, { since })).toEqual({ ok: true, recovered: false });
    const fresh = c3.received.map((r) => r.event);
    expect(fresh[0]).toBe('mempool:stats');
    expect(fresh.slice(1).every((e) => ['intent:status', 'intent:not_found', 'intent:settlement_proof'].includes(e))).toBe(true);
    expect(fresh.length).toBeGreaterThanOrEqual(2);
  });

  it('list then resume, over many runs: GET /intents while events flow + the stream from its position = the projections', async () => {
    const topics = await createTestTopics('resume-list', 3);
    const node = await startKafkaService(topics, { env: ENV });
    services.push(node);
    await node.service.caughtUp;
    const url = node.service.url;
    let produced = 0;
    for (let run = 0; run < 8; run++) {
      const history = liveHistory(100 + run, 12, `2027-03-0${1 + (run % 9)}T0${run % 10}:00:00Z`);
      // events flow (in several sends) while the list is loaded
      const sending = (async () => {
        for (let i = 0; i < history.events.length; i += 15)
          await produceEvents(kafka('resume-list'), topics, history.events.slice(i, i + 15));
      })();
      produced += history.events.length;
      await new Promise((r) => setTimeout(r, run * 15));
      const list = listResponseSchema.parse(await getJson(`${url}/intents?limit=500`));
      const client = await connectClient(url);
      clients.push(client);
      const state = new Map<string, Record<string, unknown>>(
        list.intents.map((i) => [i.intentId, i as unknown as Record<string, unknown>]),
      );
      // intent rooms of the listed intents, then the all-intents room; new intents join their room from their intent:new
      const joined = new Set<string>();
      const join = async (id: string, since: string): Promise<void> => {
        if (joined.has(id)) return;
        joined.add(id);
        expect(await ack(client, 'subscribe:intent', id, { since })).toEqual({ ok: true, recovered: true });
      };
      for (const i of list.intents) await join(i.intentId, list.position);
      expect(await ack(client, 'subscribe:all', { since: list.position })).toEqual({ ok: true, recovered: true });
      await sending;
      await eventually(() => node.service.pipeline.records >= produced, 30_000, 'the node applied every record');
      // fold what arrives: intent:new joins its room from its position; the room's intent:status updates it
      // (a room joined late replays updates older than a removal the all-intents room already gave)
      const removed = new Set<string>();
      let seen = 0;
      let folding: Promise<void> | null = null;
      const foldOnce = async (): Promise<void> => {
        while (seen < client.received.length) {
          const r = client.received[seen++]!;
          const id = String(r.payload['intentId']);
          if (r.event === 'intent:new') {
            removed.delete(id);
            if (!state.has(id)) state.set(id, r.payload);
            await join(id, positionOf(r)!);
          } else if (r.event === 'intent:status' && !removed.has(id)) {
            const mine = state.get(id);
            if (mine !== undefined) expect(Number(r.payload['version']), `no repeat of ${id}`).toBeGreaterThan(Number(mine['version']));
            state.set(id, r.payload);
          } else if (r.event === 'intent:removed') {
            removed.add(id);
            state.delete(id);
          }
        }
      };
      const fold = (): Promise<void> => (folding ??= foldOnce().finally(() => (folding = null)));
      const strip = (m: Map<string, Record<string, unknown>>) =>
        [...m.values()]
          .map(({ position: _p, timestamp: _t, oldStatus: _o, ...rest }) => rest)
          .sort((x, y) => (String(x['intentId']) < String(y['intentId']) ? -1 : 1));
      const serverState = async () => {
        const all = listResponseSchema.parse(await getJson(`${url}/intents?limit=500`));
        return strip(new Map(all.intents.map((i) => [i.intentId, i as unknown as Record<string, unknown>])));
      };
      const want = await serverState();
      await eventually(
        () => {
          void fold();
          return isDeepStrictEqual(strip(state), want);
        },
        30_000,
        () => {
          const mine = strip(state);
          const i = mine.findIndex((m, k) => !isDeepStrictEqual(m, want[k]));
          return `run ${run}: client state = server projections (${state.size} vs ${want.length}): ${JSON.stringify(mine[i])} vs ${JSON.stringify(want[i])}`;
        },
      );
      await fold();
      expect(strip(state)).toEqual(want);
      client.close();
    }
  });
});
