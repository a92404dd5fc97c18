/**
 * Poison records (contract.md section 5): they land in the DLQ topic with their original key,
 * value and headers plus the `dlq.*` headers, and the records after them are still applied.
 * If the DLQ cannot be written, ingestion stops instead of skipping the record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import { DLQ_HEADERS } from '../../src/ingest/kafka-dlq.js';
import { kafka } from '../support/broker.js';
import { wireEvent } from '../support/histories.js';
import {
  createTestTopics,
  eventually,
  readTopic,
  startKafkaPipeline,
  type RunningPipeline,
  type TestTopics,
} from '../support/service-harness.js';

const A = `0x${'a1'.repeat(32)}`;
const B = `0x${'b2'.repeat(32)}`;
const T0 = Date.parse('2026-11-27T10:00:00.000Z');

const running: RunningPipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

async function produceTo(topics: TestTopics, messages: Message[]): Promise<void> {
  const producer = kafka('dlq-test-producer').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  // partition 0 explicitly: the test knows every record's offset
  await producer.send({ topic: topics.lifecycle, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) });
  await producer.disconnect();
}

const json = (v: unknown): string => JSON.stringify(v);

describe('dead letters', () => {
  it('writes undecodable records to the DLQ topic with their key, value, headers and dlq.* headers, and goes on', async () => {
    const topics = await createTestTopics('poison', 2);
    const badJson = '{"eventId": "e-1", "type": "intent.matched", ';
    const unknownType = json({ eventId: 'e-2', type: 'intent.teleported', intentId: A, occurredAt: new Date(T0 + 2).toISOString(), data: {} });
    const invalidField = json({
      ...wireEvent('intent.submitted', { intentId: B, at: T0 + 3, data: { fromChain: 1, toChain: 10, amount: '5' } }),
      data: { fromChain: -1, toChain: 10, amount: '5' },
    });
    await produceTo(topics, [
      { key: A, value: json(wireEvent('intent.submitted', { intentId: A, at: T0, data: { fromChain: 1, toChain: 10, amount: '100' } })) }, // 0
      { key: A, value: badJson, headers: { 'trace-id': 't-1' } }, // 1
      { key: A, value: unknownType, headers: { 'trace-id': 't-2', 'content-type': 'application/json' } }, // 2
      { key: B, value: invalidField }, // 3
      { key: A, value: json(wireEvent('intent.matched', { intentId: A, at: T0 + 4, data: { solver: '0xsolver' } })) }, // 4
      { key: B, value: json(wireEvent('intent.submitted', { intentId: B, at: T0 + 5, data: { fromChain: 56, toChain: 137, amount: '7' } })) }, // 5
    ]);

    const p = await (async () => {
      const started = await startKafkaPipeline(topics);
      running.push(started);
      return started;
    })();
    await p.caughtUp;

    // the records after the poison were applied
    expect(p.pipeline.store.get(A)).toMatchObject({ status: 'MATCHED', solver: '0xsolver' });
    expect(p.pipeline.store.get(B)).toMatchObject({ status: 'SUBMITTED', fromChain: 56, toChain: 137 });
    expect(p.pipeline.deadLettered).toBe(3);
    expect(p.ingestion.source.progress().partitions.find((x) => x.topic === topics.lifecycle && x.partition === 0)?.position).toBe('6');

    // live: an empty value (tombstone) is a dead letter too, and the next record applies
    await produceTo(topics, [
      { key: A, value: null, headers: { 'trace-id': 't-4' } }, // 6
      { key: A, value: json(wireEvent('intent.source_lock_requested', { intentId: A, at: T0 + 6 })) }, // 7
    ]);
    await eventually(() => p.pipeline.store.get(A)?.htlcState === 'awaiting_source_lock', 10_000, 'the record after the live poison');
    expect(p.recorder.emissions.some((e) => e.event === 'intent:status' && e.payload.intentId === A && e.payload.status === 'waiting_for_source_lock')).toBe(true);

    const dead = await readTopic(kafka('dlq-reader'), topics.dlq, 4);
    expect(dead).toHaveLength(4);
    const source = (offset: string) => ({
      [DLQ_HEADERS.topic]: topics.lifecycle,
      [DLQ_HEADERS.partition]: '0',
      [DLQ_HEADERS.offset]: offset,
    });
    expect(dead[0]).toMatchObject({ key: A, value: badJson, headers: { 'trace-id': 't-1', ...source('1') } });
    expect(dead[0]!.headers[DLQ_HEADERS.reason]).toMatch(/not JSON/);
    expect(dead[1]).toMatchObject({
      key: A,
      value: unknownType,
      headers: { 'trace-id': 't-2', 'content-type': 'application/json', ...source('2'), [DLQ_HEADERS.reason]: 'unknown event type "intent.teleported"' },
    });
    expect(dead[2]).toMatchObject({ key: B, value: invalidField, headers: source('3') });
    expect(dead[2]!.headers[DLQ_HEADERS.reason]).toMatch(/^data\.fromChain: /);
    expect(dead[3]).toMatchObject({ key: A, value: null, headers: { 'trace-id': 't-4', ...source('6'), [DLQ_HEADERS.reason]: 'value is empty' } });
  });

  it('stops ingestion without passing the record when the DLQ cannot be written', async () => {
    const topics = await createTestTopics('dlq-down', 1);
    const p = await startKafkaPipeline(topics, { dlqRetry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 } });
    running.push(p);
    await p.caughtUp;

    // the DLQ topic disappears; the service never creates topics, so writes to it fail
    const admin = kafka('dlq-down-admin').admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topics.dlq] });
    await admin.disconnect();

    await produceTo(topics, [
      { key: A, value: json(wireEvent('intent.submitted', { intentId: A, at: T0, data: { fromChain: 1, toChain: 10, amount: '1' } })) }, // 0
      { key: A, value: 'not json at all' }, // 1
      { key: A, value: json(wireEvent('intent.matched', { intentId: A, at: T0 + 1, data: { solver: '0xs' } })) }, // 2
    ]);
    await eventually(() => p.fatal !== null, 30_000, 'ingestion to stop');
    expect(p.fatal!.message).toContain(`${topics.lifecycle}/0 offset 1`);
    expect(p.fatal!.message).toContain(`dead-letter topic "${topics.dlq}"`);

    // the poison record's offset was not passed, and nothing after it was applied
    await new Promise((r) => setTimeout(r, 1000));
    expect(p.pipeline.store.get(A)).toMatchObject({ status: 'SUBMITTED', solver: null });
    const part = p.ingestion.source.progress().partitions.find((x) => x.topic === topics.lifecycle && x.partition === 0);
    expect(part?.position).toBe('1');
  });
});
