/**
 * `intent-projector/client` (src/client/) against the real resuming service on the real broker
 * (docs/resume.md), through socket.io-client:
 *
 * (a) its transport drops mid-stream while events flow; it reconnects and resumes every
 *     subscription from its position (`recovered: true`): what reached the user's callbacks, per
 *     subscription and intent, is exactly what a control socket connected all along got (nothing
 *     missed, nothing twice), and the followed intents end equal to the server's projections;
 * (b) it stays away longer than the resume window (`RESUME_WINDOW=10`): the server answers
 *     `recovered: false`, the client reloads its lists through `GET /intents` (while events go on)
 *     and ends equal to the server;
 * (c) a filtered follow (a server-side filter and a status-only one) across a node restart;
 * (d) sixty subscriptions on a service with the default rate limit: the client paces its
 *     (re)subscriptions, so every one is answered, on start and after a reconnect.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { IntentClient, type IntentFilter } from '../../src/client/index.js';
import type { IntentEventInput } from '../../src/contract/events.js';
import type { FormattedIntent } from '../../src/contract/socket.js';
import { kafka } from '../support/broker.js';
import { type GeneratedHistory, generateHistory } from '../support/histories.js';
import { freePort } from '../support/ports.js';
import {
  connectClient,
  createTestTopics,
  produceEvents,
  projectionsOf,
  type RecordingClient,
  type RunningService,
  startKafkaService,
  type TestTopics,
} from '../support/service-harness.js';

const nodes: RunningService[] = [];
const clients: IntentClient[] = [];
const controls: RecordingClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of controls.splice(0)) c.close();
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

const ENV = { MAX_SUBSCRIPTIONS_PER_SOCKET: '1000', STATS_INTERVAL_MS: '3600000' };
const ALL_ROOM = new Set(['intent:new', 'intent:status_changed', 'intent:proof_changed', 'intent:removed']);
const INTENT_ROOM = new Set(['intent:status', 'intent:proof', 'intent:settlement_proof', 'intent:removed']);

type Seen = [event: string, position: string | undefined];
type Answer = { readonly resumed: boolean; readonly recovered: boolean };

/** The parts of a formatted intent that describe the intent (not the emission). */
function state(i: Omit<FormattedIntent, 'position'> & { position?: string }): Record<string, unknown> {
  const { timestamp: _t, position: _p, ...rest } = i;
  return rest;
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function newClient(url: string): IntentClient {
  const c = new IntentClient({ url, socket: { reconnectionDelay: 50, reconnectionDelayMax: 200 } });
  clients.push(c);
  return c;
}

/** The client's transport goes away (no automatic reconnection until `reconnect`). */
async function dropTransport(c: IntentClient): Promise<void> {
  c.socket.io.reconnection(false);
  c.socket.io.engine.close();
  await until('the client noticed', () => !c.connected);
}

function reconnect(c: IntentClient): void {
  c.socket.io.reconnection(true);
  c.socket.connect();
}

/** Splits a history into `n` slices, each with its share of both topics (per-topic order kept). */
function slices(h: GeneratedHistory, n: number): IntentEventInput[][] {
  const part = (events: readonly IntentEventInput[], i: number) =>
    events.slice(Math.floor((events.length * i) / n), Math.floor((events.length * (i + 1)) / n));
  return Array.from({ length: n }, (_, i) => [...part(h.lifecycle, i), ...part(h.proof, i)]);
}

/** Produces and waits until the node applied the records. */
async function produceApplied(topics: TestTopics, node: RunningService, events: readonly IntentEventInput[]): Promise<void> {
  const before = node.service.pipeline.records;
  await produceEvents(kafka('client-resume-producer'), topics, events);
  await until(`the node to apply ${events.length} records`, () => node.service.pipeline.records >= before + events.length);
}

const serverState = (node: RunningService) => projectionsOf(node.service.pipeline.store).map(state);

/** A client-side table of intents: the list, then whole intents upserted, proofs applied, removals and leaves dropped. */
function table() {
  const rows = new Map<string, FormattedIntent>();
  const lists: number[] = [];
  const answers: Answer[] = [];
  const left: string[] = [];
  /** intents delivered after a list that the list already had at that version or newer (a repeat or a step back) */
  const stale: string[] = [];
  let listed = new Map<string, number>();
  return {
    stale,
    rows,
    lists,
    answers,
    left,
    handlers: {
      list: (intents: FormattedIntent[]) => {
        lists.push(intents.length);
        listed = new Map(intents.map((i) => [i.intentId, i.version]));
        rows.clear();
        for (const i of intents) rows.set(i.intentId, i);
      },
      intent: (i: FormattedIntent) => {
        if (i.version <= (listed.get(i.intentId) ?? 0)) stale.push(`${i.intentId} v${i.version}`);
        listed.delete(i.intentId);
        rows.set(i.intentId, i);
      },
      left: (id: string) => {
        left.push(id);
        rows.delete(id);
      },
      removed: (r: { intentId: string }) => rows.delete(r.intentId),
      subscribed: (a: Answer) => answers.push(a),
    },
    statuses: () => Object.fromEntries([...rows.values()].map((i) => [i.intentId, i.status])),
  };
}

/** What GET /intents gives for a filter, as intentId → status (every page). */
async function listed(url: string, filter: IntentFilter): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams(Object.entries(filter).map(([k, v]) => [k, String(v)]));
    q.set('limit', '500');
    if (cursor !== null) q.set('cursor', cursor);
    const body = (await (await fetch(`${url}/intents?${q}`)).json()) as { intents: FormattedIntent[]; nextCursor: string | null };
    for (const i of body.intents) out[i.intentId] = i.status;
    cursor = body.nextCursor;
  } while (cursor !== null);
  return out;
}

describe('IntentClient resumes on the real broker', () => {
  it('(a) a dropped transport mid-stream: resumed with recovered: true, nothing missed or repeated, equal to the server', async () => {
    const topics = await createTestTopics('client-resume-a', 2);
    const node = await startKafkaService(topics, { env: ENV });
    nodes.push(node);
    await node.service.caughtUp;
    const h = generateHistory({ intents: 40, seed: 1601, startAt: Date.parse('2027-05-01T00:00:00Z') });
    const parts = slices(h, 8);

    // a control socket in every room all along
    const control = await connectClient(node.service.url, { all: true, intents: h.intentIds });
    controls.push(control);

    const client = newClient(node.service.url);
    const all: [...Seen, string][] = [];
    const rooms = new Map<string, Seen[]>(h.intentIds.map((id) => [id, []]));
    const followed = new Map<string, FormattedIntent>();
    const answers: Answer[] = [];
    client.followAll({
      intent: (i, event) => all.push([event, i.position, i.intentId]),
      proof: (p) => all.push(['intent:proof_changed', p.position, p.intentId]),
      removed: (r) => all.push(['intent:removed', r.position, r.intentId]),
      subscribed: (a) => answers.push(a),
    });
    for (const id of h.intentIds) {
      const seen = rooms.get(id)!;
      client.followIntent(id, {
        intent: (i) => {
          seen.push(['intent:status', i.position]);
          followed.set(id, i);
        },
        proof: (p) => seen.push(['intent:proof', p.position]),
        settlementProof: (p) => seen.push(['intent:settlement_proof', p.position]),
        removed: (r) => {
          seen.push(['intent:removed', r.position]);
          followed.delete(id);
        },
        subscribed: (a) => answers.push(a),
      });
    }
    const subs = 1 + h.intentIds.length;
    await until('every subscription answered', () => answers.length === subs);

    for (const part of parts.slice(0, 3)) await produceEvents(kafka('client-resume-producer'), topics, part);
    // mid-stream: events are reaching the client (a subscription and a socket that got nothing yet would subscribe afresh)
    await until('events reach the client', () => all.length > 0);
    await dropTransport(client);
    // events go on while it is away; the node applies them, so there is something to resume
    await produceApplied(topics, node, [...parts[3]!, ...parts[4]!]);
    reconnect(client);
    for (const part of parts.slice(5)) await produceEvents(kafka('client-resume-producer'), topics, part);

    await until('every subscription resumed', () => answers.length === 2 * subs);
    expect(answers.slice(subs)).toEqual(Array.from({ length: subs }, () => ({ resumed: true, recovered: true })));
    const total = h.lifecycle.length + h.proof.length;
    await until('the node applied everything', () => node.service.pipeline.records >= total);
    const expected = () => serverState(node);
    await until('the followed intents equal the server', () => isEqual([...followed.values()].map(state).sort(byId), expected()));

    // exactly what the control socket got, per subscription and intent, in the node's order
    const controlAll = control.received.filter((r) => ALL_ROOM.has(r.event));
    await until('the control socket and the client agree on the all-intents events', () => all.length >= controlAll.length);
    const perIntent = <T extends unknown[]>(rows: T[], idOf: (r: T) => string) => {
      const m: Record<string, T[]> = {};
      for (const r of rows) (m[idOf(r)] ??= []).push(r);
      return m;
    };
    expect(all.length).toBe(control.received.filter((r) => ALL_ROOM.has(r.event)).length);
    expect(perIntent(all, (r) => r[2])).toEqual(
      perIntent(
        control.received
          .filter((r) => ALL_ROOM.has(r.event))
          .map((r): [string, string | undefined, string] => [r.event, r.payload['position'] as string, r.payload['intentId'] as string]),
        (r) => r[2],
      ),
    );
    for (const id of h.intentIds) {
      const want = control.received
        .filter((r) => INTENT_ROOM.has(r.event) && r.payload['intentId'] === id)
        .map((r): Seen => [r.event, r.payload['position'] as string]);
      expect(rooms.get(id), `intent ${id}`).toEqual(want);
    }
  });

  it('(b) away beyond the resume window: recovered: false, the lists reload through GET /intents, equal to the server', async () => {
    const topics = await createTestTopics('client-resume-b', 2);
    const node = await startKafkaService(topics, { env: { ...ENV, RESUME_WINDOW: '10' } });
    nodes.push(node);
    await node.service.caughtUp;
    const h = generateHistory({ intents: 30, seed: 1602, startAt: Date.parse('2027-05-02T00:00:00Z') });
    const later = generateHistory({ intents: 10, seed: 1603, startAt: Date.parse('2027-05-03T00:00:00Z') });
    const [first, second] = [slices(h, 2)[0]!, slices(h, 2)[1]!];
    await produceApplied(topics, node, first);
    const chain = mostCommon(h.lifecycle.flatMap((e) => (e.type === 'intent.submitted' ? [e.data.fromChain] : [])));

    const client = newClient(node.service.url);
    const everything = table();
    const byChain = table();
    client.followAll(everything.handlers, { loadList: true });
    client.followFilter({ fromChain: chain }, byChain.handlers, { loadList: true });
    // the first list, then subscribed from its position
    await until('subscribed after the first lists', () => everything.answers.length === 1 && byChain.answers.length === 1);
    expect(everything.answers[0]).toEqual({ resumed: true, recovered: true });
    expect(everything.lists).toHaveLength(1);

    await dropTransport(client);
    await produceApplied(topics, node, second); // far more than 10 records
    reconnect(client);
    // events go on while the lists reload
    await produceApplied(topics, node, [...later.lifecycle, ...later.proof]);

    await until('answered again', () => everything.answers.length === 2 && byChain.answers.length === 2);
    expect(everything.answers[1]).toEqual({ resumed: true, recovered: false });
    expect(byChain.answers[1]).toEqual({ resumed: true, recovered: false });
    await until('both lists reloaded', () => everything.lists.length === 2 && byChain.lists.length === 2);

    // the intents the later history does not touch: exactly the server's projections
    const untouched = (rows: Iterable<Omit<FormattedIntent, 'position'>>) =>
      [...rows]
        .filter((i) => h.intentIds.includes(i.intentId))
        .map(state)
        .sort(byId);
    await until('the reloaded list equals the server', () =>
      isEqual(untouched(everything.rows.values()), untouched(projectionsOf(node.service.pipeline.store))),
    );
    // and every intent is there with the server's status (the all-intents room carries status changes)
    await until('every intent at the server status', async () => isEqual(everything.statuses(), await listed(node.service.url, {})));
    await until('the filter view at the server status', async () =>
      isEqual(byChain.statuses(), await listed(node.service.url, { fromChain: chain })),
    );
    expect(Object.keys(byChain.statuses()).length).toBeGreaterThan(0);
    // nothing reached the callbacks after a list that the list already had
    expect(everything.stale).toEqual([]);
    expect(byChain.stale).toEqual([]);
  });

  it('(c) filtered follows across a node restart: resumed on the new node, equal to GET /intents', async () => {
    const topics = await createTestTopics('client-resume-c', 2);
    const port = await freePort();
    const env = { ...ENV, PORT: String(port) };
    nodes.push(await startKafkaService(topics, { env }));
    await nodes[0]!.service.caughtUp;
    const h = generateHistory({ intents: 40, seed: 1604, startAt: Date.parse('2027-05-04T00:00:00Z') });
    const later = generateHistory({ intents: 12, seed: 1605, startAt: Date.parse('2027-05-05T00:00:00Z') });
    const [first, second] = [slices(h, 2)[0]!, slices(h, 2)[1]!];
    await produceApplied(topics, nodes[0]!, first);
    const chain = mostCommon(h.lifecycle.flatMap((e) => (e.type === 'intent.submitted' ? [e.data.fromChain] : [])));
    const url = `http://127.0.0.1:${port}`;

    const client = newClient(url);
    const filters: IntentFilter[] = [{ fromChain: chain }, { status: 'completed' }, { fromChain: chain, status: 'executing' }];
    const views = filters.map(() => table());
    for (const [i, f] of filters.entries()) client.followFilter(f, views[i]!.handlers, { loadList: true });
    await until('subscribed', () => views.every((v) => v.answers.length === 1));

    // the node goes away; the history goes on; a new node comes up on the same address
    await nodes[0]!.stop();
    await until('the client noticed', () => !client.connected);
    await produceEvents(kafka('client-resume-producer'), topics, second);
    nodes.push(await startKafkaService(topics, { env }));
    const node = nodes[1]!;
    await node.service.caughtUp;
    await until('resubscribed', () => views.every((v) => v.answers.length === 2));
    // the new node replayed the records, its window has them: nothing to reload
    for (const v of views) {
      expect(v.answers[1]).toEqual({ resumed: true, recovered: true });
      expect(v.lists).toHaveLength(1);
    }
    await produceApplied(topics, node, [...later.lifecycle, ...later.proof]);
    for (const [i, f] of filters.entries()) {
      await until(`view ${JSON.stringify(f)} equals GET /intents`, async () => isEqual(views[i]!.statuses(), await listed(url, f)));
    }
    // the views are not empty
    expect(Object.keys(views[0]!.statuses()).length).toBeGreaterThan(0);
    expect(Object.keys(views[1]!.statuses()).length).toBeGreaterThan(0);
    console.log(
      'left',
      views.map((v) => v.left.length),
    );
  });

  it('(d) many subscriptions under the server default rate limit: all answered, on start and after a reconnect', async () => {
    const topics = await createTestTopics('client-resume-d', 2);
    // the service's defaults: 20 client events a second per socket, burst 40; over that they are dropped unread
    const node = await startKafkaService(topics, { env: { ...ENV, RATE_LIMIT_PER_SECOND: '20' } });
    nodes.push(node);
    await node.service.caughtUp;
    const h = generateHistory({ intents: 60, seed: 1606, startAt: Date.parse('2027-05-06T00:00:00Z') });
    const [first, second] = [slices(h, 2)[0]!, slices(h, 2)[1]!];
    const client = newClient(node.service.url);
    const answers: Answer[] = [];
    const followed = new Map<string, FormattedIntent>();
    for (const id of h.intentIds) {
      client.followIntent(id, {
        intent: (i) => followed.set(id, i),
        removed: () => followed.delete(id),
        subscribed: (a) => answers.push(a),
      });
    }
    await until('every subscription answered', () => answers.length === h.intentIds.length);
    await produceApplied(topics, node, first);
    await until('the first half reached the client', () => isEqual([...followed.values()].map(state).sort(byId), serverState(node)));
    await dropTransport(client);
    await produceApplied(topics, node, second);
    reconnect(client);
    await until('every subscription resumed', () => answers.length === 2 * h.intentIds.length);
    expect(answers.slice(h.intentIds.length).filter((a) => !(a.resumed && a.recovered))).toEqual([]);
    await until('the followed intents equal the server', () => isEqual([...followed.values()].map(state).sort(byId), serverState(node)));
  });
});

function mostCommon<T>(xs: readonly T[]): T {
  const counts = new Map<T, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => (String(a['intentId']) < String(b['intentId']) ? -1 : 1);

const isEqual = isDeepStrictEqual;
