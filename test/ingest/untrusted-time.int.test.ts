/**
 * Untrusted time on the real broker (docs/reducer.md "Untrusted time"): records dated year 9999
 * on both input topics, whose Kafka record timestamps are honest, neither make the service forget
 * removals nor let a redelivered event of a removed intent back in, and pruning goes on once the
 * record timestamps have moved past the retention window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import type { IntentEventInput } from '../../src/contract/events.js';
import { kafka } from '../support/broker.js';
import { wireEvent } from '../support/histories.js';
import { createTestTopics, eventually, startKafkaService, type RunningService, type TestTopics } from '../support/service-harness.js';

const running: RunningService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

const MIN = 60_000;
const HOUR = 60 * MIN;
const FAR = Date.parse('9999-12-31T00:00:00.000Z');
const R = `0x${'a1'.repeat(32)}`; // submitted, then removed
const Z = `0x${'b2'.repeat(32)}`; // removed in year 9999
const F = `0x${'c3'.repeat(32)}`; // submitted in year 9999
const O = `0x${'d4'.repeat(32)}`; // moves both topics' time on

type Timed = readonly [IntentEventInput, number];

async function produce(topics: TestTopics, records: readonly Timed[]): Promise<void> {
  const producer = kafka('untrusted-time').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const [e, ts] of records) {
      const message: Message = { key: e.intentId, value: JSON.stringify(e), timestamp: String(ts) };
      await producer.send({ topic: e.type.startsWith('proof.') ? topics.proofs : topics.lifecycle, acks: -1, messages: [message] });
    }
  } finally {
    await producer.disconnect();
  }
}

/** an event of O on each topic at `at`, written at `at` */
const both = (at: number): Timed[] => [
  [wireEvent('intent.matched', { intentId: O, at, data: { solver: `0xs${at}` } }), at],
  [wireEvent('proof.requested', { intentId: O, at }), at],
];

describe('far-future records on both topics', () => {
  it('keep removals remembered and redeliveries refused, and pruning goes on', async () => {
    const topics = await createTestTopics('untrusted-time', 1);
    // record timestamps from 5 h ago: the broker takes them, and they are within its retention
    const T = Date.now() - 5 * HOUR;
    const rSubmitted = wireEvent('intent.submitted', { intentId: R, at: T + MIN, data: { fromChain: 1, toChain: 10, amount: '5' } });
    await produce(topics, [
      [rSubmitted, T + MIN],
      [wireEvent('intent.removed', { intentId: R, at: T + 2 * MIN }), T + 2 * MIN],
      [wireEvent('intent.removed', { intentId: Z, at: FAR }), T + 2 * MIN],
      [wireEvent('intent.submitted', { intentId: F, at: FAR, data: { fromChain: 1, toChain: 10, amount: '7' } }), T + 3 * MIN],
      [wireEvent('proof.requested', { intentId: F, at: FAR }), T + 3 * MIN],
      ...both(T + 4 * MIN),
    ]);
    const s = await startKafkaService(topics, { env: { TOMBSTONE_RETENTION_MS: String(HOUR), MAX_CLOCK_SKEW_MS: String(MIN) } });
    running.push(s);
    await s.service.caughtUp;
    const store = s.service.pipeline.store;
    const read = () => s.service.progress().recordsRead;
    expect(store.tombstones).toBe(2); // R and Z
    // counted: Z's removal and F's submission (lifecycle), F's proof request (proofs)
    const counted = (await s.service.metrics.futureDated.get()).values;
    expect(Object.fromEntries(counted.map((v) => [v.labels.topic, v.value]))).toEqual({ [topics.lifecycle]: 2, [topics.proofs]: 1 });

    // live: both topics move on (pruning runs), then the removed intent's submission is redelivered
    await produce(topics, both(T + 5 * MIN));
    await eventually(
      () => read() === 9,
      30_000,
      () => `9 records read (got ${read()})`,
    );
    expect(store.tombstones).toBe(2);
    await produce(topics, [[rSubmitted, Date.now()]]);
    await eventually(
      () => read() === 10,
      30_000,
      () => `10 records read (got ${read()})`,
    );
    expect(store.get(R)).toBeUndefined();
    expect(store.tombstones).toBe(2);
    expect(store.get(F)?.updatedAt).toBe(FAR); // the fold still goes by occurredAt

    // three hours of record time later, both tombstones are past the 1 h window: pruned
    await produce(topics, both(T + 3 * HOUR));
    await eventually(
      () => read() === 12,
      30_000,
      () => `12 records read (got ${read()})`,
    );
    expect(store.tombstones).toBe(0);
    expect(store.size).toBe(2); // F and O
  }, 90_000);
});
