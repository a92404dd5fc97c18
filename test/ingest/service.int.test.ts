/**
 * End to end on the real broker: two service instances (startService, Kafka source, Socket.IO on
 * PORT 0) on the same topics. Each rebuilds the history on its own, emits nothing for it, then
 * both emit every live event, in order per intent, and hold identical projections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IntentEventInput } from '../../src/contract/events.js';
import { kafka } from '../support/broker.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { decodeEvent, generateHistory } from '../support/histories.js';
import {
  connectClient,
  createTestTopics,
  eventually,
  expectedProjections,
  produceEvents,
  projectionsOf,
  startKafkaService,
  type RecordingClient,
  type RunningService,
} from '../support/service-harness.js';

const services: RunningService[] = [];
const clients: RecordingClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

const INTENT_EVENTS = new Set([
  'intent:new',
  'intent:status',
  'intent:status_changed',
  'intent:proof',
  'intent:proof_changed',
  'intent:settlement_proof',
  'intent:removed',
]);

describe('service instances on Kafka', () => {
  it('two nodes replay the same history silently, then both emit every live event in order and hold identical projections', async () => {
    const topics = await createTestTopics('nodes', 4);
    const history = generateHistory({ intents: 600, seed: 21 });
    const historyEvents: IntentEventInput[] = [...history.lifecycle, ...history.proof];
    expect(historyEvents.length).toBeGreaterThan(5000);
    await produceEvents(kafka('nodes-producer'), topics, historyEvents);

    const env = { MAX_SUBSCRIPTIONS_PER_SOCKET: '1000' };
    const nodes = await Promise.all([startKafkaService(topics, { env }), startKafkaService(topics, { env })]);
    services.push(...nodes);
    const [a, b] = nodes as [RunningService, RunningService];
    expect(a.ingestion.source.groupId).not.toBe(b.ingestion.source.groupId);

    // clients connect while the nodes are still replaying; subscribe:all is answered once caught up
    const live = generateHistory({ intents: 50, seed: 22, startAt: Date.parse('2027-03-01T00:00:00Z') });
    const watchers = await Promise.all(nodes.map((n) => connectClient(n.service.url, { all: true, intents: live.intentIds })));
    clients.push(...watchers);
    await Promise.all(nodes.map((n) => n.service.caughtUp));
    for (const n of nodes) expect(n.service.readiness()).toMatchObject({ ready: true, caughtUp: true });

    // identical projections, equal to the in-process fold; no emission for the history
    const expectedHistory = expectedProjections(historyEvents);
    expect(projectionsOf(a.service.pipeline.store)).toEqual(expectedHistory);
    expect(projectionsOf(b.service.pipeline.store)).toEqual(expectedHistory);
    const historyIds = new Set(history.intentIds);
    // the service itself counted no intent emission while it replayed (only mempool:stats, at catch-up)
    for (const n of nodes) {
      const text = await fetch(`${n.service.url}/metrics`).then((r) => r.text());
      const intentEmissions = text.split('\n').filter((l) => l.startsWith('intent_projector_emissions_total{event="intent:'));
      for (const line of intentEmissions) expect(line).toMatch(/ 0$/);
    }
    for (const w of watchers) {
      const forHistory = w.received.filter((r) => INTENT_EVENTS.has(r.event) && historyIds.has(String(r.payload['intentId'])));
      expect(forHistory).toEqual([]);
      expect(
        w
          .of('intent:not_found')
          .map((x) => x['intentId'])
          .sort(),
      ).toEqual([...live.intentIds].sort());
    }

    // live events reach both nodes' clients
    const liveEvents = [...live.lifecycle, ...live.proof];
    const expectedTransitions = new Map<string, string[]>();
    const lifecycleFold = new ProjectionStore();
    for (const e of live.lifecycle) {
      const diff = lifecycleFold.apply(decodeEvent(e));
      if (diff?.kind === 'updated' && diff.status !== null) {
        expectedTransitions.set(diff.intentId, [...(expectedTransitions.get(diff.intentId) ?? []), diff.status.from]);
      }
    }
    await produceEvents(kafka('nodes-live-producer'), topics, liveEvents);
    const all = [...historyEvents, ...liveEvents];
    const expected = expectedProjections(all);
    for (const n of nodes) {
      await eventually(
        () => JSON.stringify(projectionsOf(n.service.pipeline.store)) === JSON.stringify(expected),
        20_000,
        `node ${n.service.url} to apply the live events`,
      );
    }
    for (const [i, w] of watchers.entries()) {
      const store = nodes[i]!.service.pipeline.store;
      // every change of every live intent, once, in order: intent:status versions 1..final
      await eventually(
        () =>
          live.intentIds.every((id) => {
            const final = store.get(id);
            return final !== undefined ? maxVersion(w, id) === final.version : w.of('intent:removed').some((r) => r['intentId'] === id);
          }),
        10_000,
        'every intent:status to arrive',
      );
      for (const id of live.intentIds) {
        const versions = w
          .of('intent:status')
          .filter((s) => s['intentId'] === id)
          .map((s) => s['version']);
        const final = store.get(id);
        if (final !== undefined) expect(versions).toEqual(Array.from({ length: final.version }, (_, k) => k + 1));
        else expect(w.of('intent:removed').filter((r) => r['intentId'] === id)).toHaveLength(1);
      }
      expect(
        w
          .of('intent:new')
          .map((x) => x['intentId'])
          .sort(),
      ).toEqual([...live.intentIds].sort());
      // in order per intent: the internal status transitions are those of the lifecycle topic's
      // order (only lifecycle events move the internal status); a reordering would skip some
      for (const id of live.intentIds) {
        const seen = w
          .of('intent:status_changed')
          .filter((s) => s['intentId'] === id)
          .map((s) => s['oldStatus']);
        expect(seen, id).toEqual(expectedTransitions.get(id) ?? []);
      }
    }
    // (the intermediate statuses may differ between nodes: each interleaves the two topics its own
    // way; the final projections may not, docs/contract.md § Folding rules)

    // and over HTTP
    const sample = live.intentIds.find((id) => a.service.pipeline.store.get(id) !== undefined)!;
    const [ra, rb] = await Promise.all(
      nodes.map((n) => fetch(`${n.service.url}/intents/${sample}`).then((r) => r.json() as Promise<Record<string, unknown>>)),
    );
    expect({ ...ra, timestamp: 0 }).toEqual({ ...rb, timestamp: 0 });

    // and in /metrics: records read per topic, no lag left, caught up, ready
    const text = await fetch(`${a.service.url}/metrics`).then((r) => r.text());
    const value = (line: string): number => {
      const found = text.split('\n').find((l) => l.startsWith(line));
      if (found === undefined) throw new Error(`metric ${line} missing from /metrics`);
      return Number(found.slice(found.lastIndexOf(' ') + 1));
    };
    const perTopic = (t: string) => all.filter((e) => topicFor(e) === t).length;
    expect(value(`intent_projector_records_read_total{topic="${topics.lifecycle}"}`)).toBe(perTopic('lifecycle'));
    expect(value(`intent_projector_records_read_total{topic="${topics.proofs}"}`)).toBe(perTopic('proofs'));
    expect(value('intent_projector_events_applied_total')).toBeGreaterThan(0);
    expect(value('intent_projector_caught_up')).toBe(1);
    expect(value('intent_projector_ready')).toBe(1);
    expect(value('intent_projector_projections')).toBe(a.service.pipeline.store.size);
    for (const line of text.split('\n').filter((l) => l.startsWith('intent_projector_consumer_lag{'))) {
      expect(line.endsWith(' 0')).toBe(true);
    }
  });
});

const topicFor = (e: IntentEventInput): 'lifecycle' | 'proofs' => (e.type.startsWith('proof.') ? 'proofs' : 'lifecycle');

function maxVersion(w: RecordingClient, id: string): number {
  let max = 0;
  for (const s of w.of('intent:status')) if (s['intentId'] === id) max = Math.max(max, Number(s['version']));
  return max;
}
