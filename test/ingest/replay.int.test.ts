/**
 * Start-up replay and the switch to live (docs/contract.md § Replay and readiness), ingestion level: KafkaSource +
 * KafkaDlq + Pipeline on the real broker, emissions recorded (no transport).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IntentEventInput } from '../../src/contract/events.js';
import { generateHistory } from '../support/histories.js';
import { kafka } from '../support/broker.js';
import {
  createTestTopics,
  eventually,
  expectedProjections,
  produceEvents,
  projectionsOf,
  readTopic,
  startKafkaPipeline,
  type RunningPipeline,
} from '../support/service-harness.js';

const running: RunningPipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

async function start(...args: Parameters<typeof startKafkaPipeline>): Promise<RunningPipeline> {
  const p = await startKafkaPipeline(...args);
  running.push(p);
  return p;
}

/** Intent statuses per intent, in emission order. */
function statusVersionsByIntent(p: RunningPipeline): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const e of p.recorder.emissions) {
    if (e.event !== 'intent:status') continue;
    const list = out.get(e.payload.intentId) ?? [];
    list.push(e.payload.version);
    out.set(e.payload.intentId, list);
  }
  return out;
}

describe('Kafka replay', () => {
  it('rebuilds thousands of events across 4 partitions per topic into the projections of an in-process fold, silently, then goes live', async () => {
    const topics = await createTestTopics('replay', 4);
    const history = generateHistory({ intents: 700, seed: 7, truncateRate: 0.05 });
    const events: IntentEventInput[] = [...history.lifecycle, ...history.proof];
    expect(events.length).toBeGreaterThan(5000);
    await produceEvents(kafka('replay-producer'), topics, events);

    const t0 = Date.now();
    const p = await start(topics);
    await p.caughtUp;
    const replayMs = Date.now() - t0;

    // the replay target was the whole history, and it was all read
    const progress = p.ingestion.source.progress();
    expect(progress.caughtUp).toBe(true);
    expect(progress.recordsToReplay).toBe(events.length);
    expect(progress.recordsRead).toBe(events.length);
    expect(progress.partitions).toHaveLength(8);
    for (const part of progress.partitions) expect(part.position).toBe(part.target);
    expect(new Set(progress.partitions.map((x) => Number(x.target) > 0))).toEqual(new Set([true]));

    // same projections as folding the same events in-process (another interleaving of the topics)
    expect(projectionsOf(p.pipeline.store)).toEqual(expectedProjections(events));
    expect(p.pipeline.store.size).toBeGreaterThan(500);
    // and not one emission for the history
    expect(p.recorder.emissions).toEqual([]);
    expect(p.pipeline.deadLettered).toBe(0);
    console.info(`[replay] ${events.length} records replayed in ${replayMs}ms`);

    // live: events produced after catch-up are emitted, each intent's in order
    const live = generateHistory({ intents: 40, seed: 8, startAt: Date.parse('2027-01-01T00:00:00Z'), removeRate: 0 });
    const liveEvents = [...live.lifecycle, ...live.proof];
    await produceEvents(kafka('replay-live-producer'), topics, liveEvents);
    const all = [...events, ...liveEvents];
    await eventually(
      () => projectionsOf(p.pipeline.store).length === expectedProjections(all).length && statusVersionsByIntent(p).size === 40,
      20_000,
      'the live events to be applied',
    );
    await eventually(() => p.ingestion.source.progress().recordsRead === all.length, 10_000, 'every live record read');
    expect(projectionsOf(p.pipeline.store)).toEqual(expectedProjections(all));

    const versions = statusVersionsByIntent(p);
    expect([...versions.keys()].sort()).toEqual([...live.intentIds].sort());
    for (const id of live.intentIds) {
      const final = p.pipeline.store.get(id);
      expect(final).toBeDefined();
      // one intent:status per applied event, in order, none twice: 1, 2, ..., version
      expect(versions.get(id)).toEqual(Array.from({ length: final!.version }, (_, i) => i + 1));
    }
    const created = p.recorder.emissions.filter((e) => e.event === 'intent:new').map((e) => e.payload.intentId);
    expect(created.sort()).toEqual([...live.intentIds].sort());
  });

  it('is caught up at once when the topics are empty, and emits what arrives afterwards', async () => {
    const topics = await createTestTopics('empty', 3);
    const p = await start(topics);
    await p.caughtUp;
    expect(p.ingestion.source.progress()).toMatchObject({ caughtUp: true, recordsRead: 0, recordsToReplay: 0 });
    expect(p.recorder.emissions).toEqual([]);

    const h = generateHistory({ intents: 3, seed: 3, removeRate: 0 });
    await produceEvents(kafka('empty-producer'), topics, h.lifecycle.slice(0, 3));
    await eventually(() => p.recorder.emissions.filter((e) => e.event === 'intent:new').length === 3, 10_000, 'three intent:new');
  });

  it('replays from the earliest offset even when its consumer group has committed offsets', async () => {
    const topics = await createTestTopics('committed', 2);
    const h = generateHistory({ intents: 50, seed: 11 });
    const events = [...h.lifecycle, ...h.proof];
    await produceEvents(kafka('committed-producer'), topics, events);

    // a group that already consumed and committed everything
    const groupId = `committed-group-${Date.now()}`;
    const client = kafka('committed-consumer');
    const admin = client.admin();
    await admin.connect();
    const ends = await Promise.all(
      [topics.lifecycle, topics.proofs].map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })),
    );
    const c = client.consumer({ groupId, maxWaitTimeInMs: 100 });
    await c.connect();
    await c.subscribe({ topics: [topics.lifecycle, topics.proofs] });
    const joined = new Promise<void>((resolve) => c.on(c.events.GROUP_JOIN, () => resolve()));
    await c.run({ autoCommit: false, eachBatch: async () => undefined });
    await joined;
    const sorted = (xs: { partition: number; offset: string }[]): string[] =>
      [...xs].sort((a, b) => a.partition - b.partition).map((x) => x.offset);
    const want = ends.map((t) => sorted(t.offsets.map((o) => ({ partition: o.partition, offset: o.high }))));
    const commits = ends.flatMap(({ topic, offsets }) => offsets.map((o) => ({ topic, partition: o.partition, offset: o.high })));
    let committed: string[][] = [];
    // (a fresh broker's group coordinator may still be loading: commit until it reads back)
    for (let attempt = 0; attempt < 20 && JSON.stringify(committed) !== JSON.stringify(want); attempt++) {
      await c.commitOffsets(commits).catch(() => undefined);
      const fetched = await admin.fetchOffsets({ groupId, topics: [topics.lifecycle, topics.proofs] });
      committed = fetched.map((t) => sorted(t.partitions));
      if (JSON.stringify(committed) !== JSON.stringify(want)) await new Promise((r) => setTimeout(r, 250));
    }
    await c.disconnect();
    expect(committed).toEqual(want);
    await admin.disconnect();

    const p = await start(topics, { env: { KAFKA_GROUP_ID: groupId } });
    await p.caughtUp;
    expect(p.ingestion.source.progress().recordsRead).toBe(events.length);
    expect(projectionsOf(p.pipeline.store)).toEqual(expectedProjections(events));
  });

  it('stop() stops consuming promptly: records produced afterwards are not read', async () => {
    const topics = await createTestTopics('stop', 2);
    const h = generateHistory({ intents: 20, seed: 5 });
    await produceEvents(kafka('stop-producer'), topics, h.lifecycle);
    const p = await startKafkaPipeline(topics);
    await p.caughtUp;
    const read = p.pipeline.records;
    expect(read).toBe(h.lifecycle.length);

    const t0 = Date.now();
    await p.stop();
    expect(Date.now() - t0).toBeLessThan(5000);
    await produceEvents(kafka('stop-producer-2'), topics, h.proof);
    // the new records are there to be read (another reader gets them all) ...
    expect(await readTopic(kafka('stop-reader'), topics.proofs, h.proof.length)).toHaveLength(h.proof.length);
    // ... and the stopped pipeline did not read one of them
    expect(p.pipeline.records).toBe(read);
    await p.stop(); // idempotent
  });

  it('refuses to start when an input topic does not exist, naming it', async () => {
    const topics = await createTestTopics('missing', 1);
    const missing = { ...topics, proofs: `${topics.proofs}-nope` };
    await expect(startKafkaPipeline(missing)).rejects.toThrow(new RegExp(`"${missing.proofs.replace(/\./g, '\\.')}" does not exist`));
  });
});
