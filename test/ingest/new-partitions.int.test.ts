/**
 * Topology (docs/ingestion.md "New partitions"): a partition added to an input topic while the
 * service runs is read within METADATA_REFRESH_MS (plus the rejoin of the node's own group),
 * from its earliest offset.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { kafka } from '../support/broker.js';
import { wireEvent } from '../support/histories.js';
import { createTestTopics, eventually, startKafkaPipeline, type RunningPipeline } from '../support/service-harness.js';

const running: RunningPipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

const A = `0x${'a1'.repeat(32)}`;
const B = `0x${'b2'.repeat(32)}`;
const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const REFRESH_MS = 1000;
/** the group's rejoin after the refresh: one member, no one to wait for; generous for a loaded machine */
const REJOIN_SLACK_MS = 10_000;

describe('partitions added while running', () => {
  it('are consumed within METADATA_REFRESH_MS', async () => {
    const topics = await createTestTopics('new-partitions', 1);
    const client = kafka('new-partitions');
    const producer = client.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const submitted = (intentId: string, at: number) =>
      JSON.stringify(wireEvent('intent.submitted', { intentId, at, data: { fromChain: 1, toChain: 10, amount: '1' } }));
    await producer.send({ topic: topics.lifecycle, acks: -1, messages: [{ key: A, value: submitted(A, T0), partition: 0 }] });

    const p = await startKafkaPipeline(topics, { env: { METADATA_REFRESH_MS: String(REFRESH_MS) } });
    running.push(p);
    await p.caughtUp;
    expect(p.pipeline.store.get(A)).toBeDefined();

    const admin = client.admin();
    await admin.connect();
    await admin.createPartitions({ topicPartitions: [{ topic: topics.lifecycle, count: 2 }] });
    await producer.disconnect();
    // a producer that knows the new partition (kafkajs drops a record for a partition its metadata lacks)
    const late = client.producer({ allowAutoTopicCreation: false });
    await late.connect();
    await late.send({ topic: topics.lifecycle, acks: -1, messages: [{ key: B, value: submitted(B, T0 + 1), partition: 1 }] });
    await late.disconnect();
    const written = Date.now();
    expect((await admin.fetchTopicOffsets(topics.lifecycle)).find((o) => o.partition === 1)?.high).toBe('1');
    await admin.disconnect();

    await eventually(() => p.pipeline.store.get(B) !== undefined, REFRESH_MS + REJOIN_SLACK_MS, 'the record on the new partition applied');
    expect(Date.now() - written).toBeLessThan(REFRESH_MS + REJOIN_SLACK_MS);
    expect(p.ingestion.source.progress().partitions.map((x) => `${x.topic}/${x.partition}`)).toContain(`${topics.lifecycle}/1`);
    expect(p.fatal).toBeNull();
  }, 60_000);
});
