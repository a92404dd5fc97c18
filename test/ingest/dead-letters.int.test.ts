/**
 * Poison records (docs/contract.md § Input, dead letters): they land in the DLQ topic with their original key,
 * value and headers plus the `dlq.*` headers, and the records after them are still applied.
 * When the DLQ cannot be written: test/ingest/dlq-outage.int.test.ts.
 * One dead letter per poison record: a restart or another node (both replay the input from the
 * earliest offset) does not write the dead letters already in the DLQ topic again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import { pino } from 'pino';
import { DLQ_HEADERS } from '../../src/ingest/dlq-headers.js';
import type { Logger } from '../../src/log.js';
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

/** Records in the DLQ topic (1 partition, non-transactional producer: its end offset). */
async function dlqCount(topics: TestTopics): Promise<number> {
  const admin = kafka('dlq-count').admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topics.dlq);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A logger at info that keeps every line's message (what an operator sees in the log). */
function capturingLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        const msg = (JSON.parse(line) as { msg?: unknown }).msg;
        if (typeof msg === 'string') messages.push(msg);
      },
    },
  );
  return { logger, messages };
}

async function start(topics: TestTopics, opts: Parameters<typeof startKafkaPipeline>[1] = {}): Promise<RunningPipeline> {
  const p = await startKafkaPipeline(topics, opts);
  running.push(p);
  return p;
}

async function stop(p: RunningPipeline): Promise<void> {
  running.splice(running.indexOf(p), 1);
  await p.stop();
}

const submitted = (intentId: string, at: number) =>
  json(wireEvent('intent.submitted', { intentId, at, data: { fromChain: 1, toChain: 10, amount: '100' } }));
const matched = (intentId: string, at: number) => json(wireEvent('intent.matched', { intentId, at, data: { solver: '0xsolver' } }));

describe('dead letters', () => {
  it('writes undecodable records to the DLQ topic with their key, value, headers and dlq.* headers, and goes on', async () => {
    const topics = await createTestTopics('poison', 2);
    const badJson = '{"eventId": "e-1", "type": "intent.matched", ';
    const unknownType = json({
      eventId: 'e-2',
      type: 'intent.teleported',
      intentId: A,
      occurredAt: new Date(T0 + 2).toISOString(),
      data: {},
    });
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
      {
        key: B,
        value: json(wireEvent('intent.submitted', { intentId: B, at: T0 + 5, data: { fromChain: 56, toChain: 137, amount: '7' } })),
      }, // 5
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

    // live: an empty value (tombstone) is a dead letter too, so is a proof event on the
    // lifecycle topic; the next record applies
    const wrongTopic = json(wireEvent('proof.verified', { intentId: A, at: T0 + 6 }));
    await produceTo(topics, [
      { key: A, value: null, headers: { 'trace-id': 't-4' } }, // 6
      { key: A, value: wrongTopic }, // 7
      { key: A, value: json(wireEvent('intent.source_lock_requested', { intentId: A, at: T0 + 6 })) }, // 8
    ]);
    await eventually(() => p.pipeline.store.get(A)?.htlcState === 'awaiting_source_lock', 10_000, 'the record after the live poison');
    expect(
      p.recorder.emissions.some(
        (e) => e.event === 'intent:status' && e.payload.intentId === A && e.payload.status === 'waiting_for_source_lock',
      ),
    ).toBe(true);

    expect(p.pipeline.store.get(A)?.proofStatus).toBe('pending');
    const dead = await readTopic(kafka('dlq-reader'), topics.dlq, 5);
    expect(dead).toHaveLength(5);
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
      headers: {
        'trace-id': 't-2',
        'content-type': 'application/json',
        ...source('2'),
        [DLQ_HEADERS.reason]: 'unknown event type "intent.teleported"',
      },
    });
    expect(dead[2]).toMatchObject({ key: B, value: invalidField, headers: source('3') });
    expect(dead[2]!.headers[DLQ_HEADERS.reason]).toMatch(/^data\.fromChain: /);
    expect(dead[3]).toMatchObject({
      key: A,
      value: null,
      headers: { 'trace-id': 't-4', ...source('6'), [DLQ_HEADERS.reason]: 'value is empty' },
    });
    expect(dead[4]).toMatchObject({
      key: A,
      value: wrongTopic,
      headers: {
        ...source('7'),
        [DLQ_HEADERS.reason]: 'type "proof.verified" does not belong on the lifecycle topic, which carries intent.* events',
      },
    });
  });

  it('a restart does not dead-letter again what is in the DLQ; a new poison record is dead-lettered once', async () => {
    const topics = await createTestTopics('dlq-restart', 1);
    // a dead letter of another service's topic at the same partition/offset as a poison record
    // below: it must not stop ours from being written
    const seed = kafka('dlq-seed').producer({ allowAutoTopicCreation: false });
    await seed.connect();
    await seed.send({
      topic: topics.dlq,
      acks: -1,
      messages: [
        {
          key: 'x',
          value: 'foreign',
          headers: {
            [DLQ_HEADERS.topic]: 'someone-elses.topic',
            [DLQ_HEADERS.partition]: '0',
            [DLQ_HEADERS.offset]: '1',
            [DLQ_HEADERS.reason]: 'x',
          },
        },
      ],
    });
    await seed.disconnect();
    await produceTo(topics, [
      { key: A, value: submitted(A, T0) }, // 0
      { key: A, value: 'not json' }, // 1
      {
        key: A,
        value: json({ eventId: 'e-2', type: 'intent.teleported', intentId: A, occurredAt: new Date(T0 + 1).toISOString(), data: {} }),
      }, // 2
      { key: A, value: matched(A, T0 + 2) }, // 3
    ]);

    const first = await start(topics);
    await first.caughtUp;
    expect(first.pipeline.deadLettered).toBe(2);
    expect(await dlqCount(topics)).toBe(3);
    await stop(first);

    // a new instance on the same topics replays everything, poison records included
    const log = capturingLogger();
    const second = await start(topics, { logger: log.logger });
    await second.caughtUp;
    expect(second.pipeline.store.get(A)).toMatchObject({ status: 'MATCHED', solver: '0xsolver' });
    expect(await dlqCount(topics)).toBe(3);
    expect(second.pipeline.deadLettered).toBe(2); // refused (and counted) again, but not written again
    expect(second.ingestion.dlq.skippedWrites).toBe(2);
    expect(log.messages.some((m) => /^DLQ index: 2 records already dead-lettered, read in \d+ ms$/.test(m))).toBe(true);

    // a poison record that arrives now is dead-lettered, once, and the record after it applies
    await produceTo(topics, [
      { key: A, value: '{"truncated": ' }, // 4
      { key: A, value: json(wireEvent('intent.source_lock_requested', { intentId: A, at: T0 + 3 })) }, // 5
    ]);
    await eventually(() => second.pipeline.store.get(A)?.htlcState === 'awaiting_source_lock', 10_000, 'the record after the new poison');
    expect(await dlqCount(topics)).toBe(4);
    await stop(second);

    // and a third start writes nothing either
    const third = await start(topics);
    await third.caughtUp;
    expect(await dlqCount(topics)).toBe(4);
    expect(third.pipeline.deadLettered).toBe(3);
    expect(third.ingestion.dlq.skippedWrites).toBe(3);

    const dead = await readTopic(kafka('dlq-reader'), topics.dlq, 4);
    expect(dead.map((d) => [d.headers[DLQ_HEADERS.topic], d.headers[DLQ_HEADERS.offset]])).toEqual([
      ['someone-elses.topic', '1'],
      [topics.lifecycle, '1'],
      [topics.lifecycle, '2'],
      [topics.lifecycle, '4'],
    ]);
  });

  it('two nodes started one after the other leave one dead letter per poison record', async () => {
    const topics = await createTestTopics('dlq-two-nodes', 2);
    const producer = kafka('dlq-two-nodes-producer').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const poison = (partition: number, n: number): Message[] =>
      Array.from({ length: n }, (_, i) => ({ key: A, value: `poison ${partition}/${i}`, partition }));
    await producer.send({
      topic: topics.lifecycle,
      acks: -1,
      messages: [
        { key: A, value: submitted(A, T0), partition: 0 },
        ...poison(0, 3),
        { key: A, value: matched(A, T0 + 1), partition: 0 },
        { key: B, value: submitted(B, T0 + 2), partition: 1 },
        ...poison(1, 2),
      ],
    });
    await producer.send({ topic: topics.proofs, acks: -1, messages: [{ key: B, value: '[]', partition: 1 }] });
    await producer.disconnect();

    const first = await start(topics);
    await first.caughtUp;
    expect(first.pipeline.deadLettered).toBe(6);
    // the second node starts while the first one runs
    const second = await start(topics);
    await second.caughtUp;
    expect(second.pipeline.store.get(A)).toMatchObject({ status: 'MATCHED' });
    expect(second.pipeline.store.get(B)).toMatchObject({ status: 'SUBMITTED' });
    expect(await dlqCount(topics)).toBe(6);
    expect(second.pipeline.deadLettered).toBe(6);
    expect(second.ingestion.dlq.skippedWrites).toBe(6);
    const dead = await readTopic(kafka('dlq-reader'), topics.dlq, 6);
    const sources = dead.map((d) => `${d.headers[DLQ_HEADERS.topic]}/${d.headers[DLQ_HEADERS.partition]}/${d.headers[DLQ_HEADERS.offset]}`);
    expect(new Set(sources).size).toBe(6);
    expect(sources.sort()).toEqual(
      [
        `${topics.lifecycle}/0/1`,
        `${topics.lifecycle}/0/2`,
        `${topics.lifecycle}/0/3`,
        `${topics.lifecycle}/1/1`,
        `${topics.lifecycle}/1/2`,
        `${topics.proofs}/1/0`,
      ].sort(),
    );
  });
});
