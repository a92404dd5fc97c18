/**
 * Smoke test for the test broker itself: produce keyed records with headers to a fresh
 * 3-partition topic and read every one of them back with a consumer group (fromBeginning).
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Consumer, Producer } from 'kafkajs';
import { brokers, createTopics, kafka, uniqueTopic } from './support/broker.js';

interface Received {
  key: string;
  value: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
}

const KEYS = ['intent-a', 'intent-b', 'intent-c', 'intent-d'];
const PER_KEY = 3;

describe('kafka round trip', () => {
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await consumer?.disconnect().catch(() => undefined);
  });

  it('provides a broker to the tests', () => {
    expect(brokers().length).toBeGreaterThan(0);
    expect(process.env.KAFKA_BROKERS).toBe(inject('kafkaBrokers'));
    expect(['env', 'docker', 'local']).toContain(inject('kafkaBrokerSource'));
  });

  it('produces keyed records with headers and consumes them all back', async () => {
    const topic = uniqueTopic('roundtrip');
    await createTopics([topic], 3);

    const client = kafka('roundtrip-test');
    producer = client.producer({ allowAutoTopicCreation: false });
    await producer.connect();

    const sent = KEYS.flatMap((key) =>
      Array.from({ length: PER_KEY }, (_, seq) => ({
        key,
        value: JSON.stringify({ key, seq }),
        headers: { 'x-seq': String(seq), 'content-type': 'application/json', 'x-topic': topic },
      })),
    );
    // One send per record so per-key order is the send order.
    for (const message of sent) {
      await producer.send({ topic, acks: -1, messages: [message] });
    }

    const admin = client.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(offsets).toHaveLength(3);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(sent.length);

    consumer = client.consumer({ groupId: uniqueTopic('roundtrip-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });

    const received: Received[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${received.length}/${sent.length} records within 30s`)), 30_000);
      consumer!
        .run({
          eachMessage: async ({ partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) {
              headers[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
            }
            received.push({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              partition,
              offset: message.offset,
              headers,
            });
            if (received.length >= sent.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await done;

    // Every record exactly once, with key, value and headers intact.
    expect(received).toHaveLength(sent.length);
    const sortKey = (r: { key: string; value: string }) => `${r.key}|${r.value}`;
    expect(
      received.map((r) => ({ key: r.key, value: r.value, headers: r.headers })).sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    ).toEqual([...sent].sort((a, b) => sortKey(a).localeCompare(sortKey(b))));

    // Same key -> same partition, and per-key order preserved.
    for (const key of KEYS) {
      const forKey = received.filter((r) => r.key === key);
      expect(new Set(forKey.map((r) => r.partition)).size).toBe(1);
      expect(forKey.map((r) => (JSON.parse(r.value) as { seq: number }).seq)).toEqual([0, 1, 2]);
    }
  });
});
