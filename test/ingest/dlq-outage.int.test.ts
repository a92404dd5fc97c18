/**
 * Dead letters that do not fit, and a DLQ that cannot be written (docs/ingestion.md "Oversized
 * records", "When the DLQ cannot be written", "Stalls and readiness"), with the real service:
 * - a bad record as large as a default topic takes is dead-lettered cut (`dlq.value.truncated`),
 *   the records after it are applied and a restart becomes ready;
 * - with the DLQ topic deleted (or missing at start) the partition with a bad record waits at it,
 *   the other partitions go on, /readyz answers 503 with the reason within STALL_READY_MS, the
 *   process keeps running, and once the topic exists again everything resumes, nothing lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import { DLQ_HEADERS } from '../../src/ingest/dlq-headers.js';
import { TRUNCATED_HEADERS } from '../../src/ingest/dlq-size.js';
import { createTopics, kafka, uniqueTopic } from '../support/broker.js';
import { wireEvent } from '../support/histories.js';
import {
  createTestTopics,
  eventually,
  readTopic,
  startKafkaService,
  type RunningService,
  type TestTopics,
} from '../support/service-harness.js';

const running: RunningService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

const A = `0x${'a1'.repeat(32)}`;
const B = `0x${'b2'.repeat(32)}`;
const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const STALL_READY_MS = 4000;
/** what the check's granularity (a quarter of STALL_READY_MS, twice) and a loaded machine may add */
const SLACK_MS = 3000;

const submitted = (intentId: string, at: number) =>
  JSON.stringify(wireEvent('intent.submitted', { intentId, at, data: { fromChain: 1, toChain: 10, amount: '1' } }));
const matched = (intentId: string, at: number) => JSON.stringify(wireEvent('intent.matched', { intentId, at, data: { solver: '0xs' } }));

async function produce(topic: string, messages: Message[]): Promise<void> {
  const producer = kafka('dlq-outage-producer').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

async function start(topics: TestTopics, env: Record<string, string> = {}): Promise<RunningService> {
  const s = await startKafkaService(topics, { env: { STALL_READY_MS: String(STALL_READY_MS), ...env } });
  running.push(s);
  return s;
}

async function readyz(s: RunningService): Promise<{ status: number; reason?: string }> {
  const r = await fetch(`${s.service.url}/readyz`);
  const body = (await r.json()) as { reason?: string };
  return { status: r.status, ...(body.reason !== undefined ? { reason: body.reason } : {}) };
}

async function setDlq(topic: string, exists: boolean): Promise<void> {
  if (exists) return createTopics([topic], 1);
  const admin = kafka('dlq-outage-admin').admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
}

describe('oversized bad records', () => {
  it('are dead-lettered cut, the records after them applied, and a restart becomes ready', async () => {
    const topics = await createTestTopics('dlq-oversized', 1);
    const huge = Buffer.alloc(1_048_400, 0x78); // not JSON; fits the input topic's default max.message.bytes
    // one send each: the huge record fills a batch by itself
    await produce(topics.lifecycle, [{ key: A, value: submitted(A, T0), partition: 0 }]);
    await produce(topics.lifecycle, [{ key: A, value: huge, headers: { 'trace-id': 't-huge' }, partition: 0 }]);
    await produce(topics.lifecycle, [{ key: A, value: matched(A, T0 + 1), partition: 0 }]);
    const first = await start(topics);
    await first.service.caughtUp;
    expect(first.service.pipeline.store.get(A)).toMatchObject({ status: 'MATCHED' });
    const [dead] = await readTopic(kafka('dlq-oversized-reader'), topics.dlq, 1);
    expect(dead!.headers[TRUNCATED_HEADERS.value]).toBe('1048400');
    expect(dead!.headers['trace-id']).toBe('t-huge');
    expect(dead!.headers[DLQ_HEADERS.offset]).toBe('1');
    expect(dead!.key).toBe(A);
    expect(dead!.value!.length).toBeLessThan(1_048_400);
    expect(dead!.value!.length).toBeGreaterThan(1_000_000);
    expect(huge.subarray(0, dead!.value!.length).toString()).toBe(dead!.value);
    await first.stop();
    running.splice(running.indexOf(first), 1);

    // a restart replays the record: it is in the DLQ already, the node becomes ready
    const second = await start(topics);
    await second.service.caughtUp;
    await eventually(() => second.service.readiness().ready, 10_000, 'the restarted node ready');
    expect(second.ingestion.dlq.skippedWrites).toBe(1);
  }, 60_000);
});

describe('a DLQ that cannot be written', () => {
  it('deleted while running: the partition waits at the bad record, the others go on, 503 with the reason, then all resumes', async () => {
    const topics = await createTestTopics('dlq-outage', 2);
    await produce(topics.lifecycle, [{ key: A, value: 'bad before', partition: 0 }]); // a dead letter written while it works
    const s = await start(topics);
    await s.service.caughtUp;
    expect((await readyz(s)).status).toBe(200);

    await setDlq(topics.dlq, false);
    const producedAt = Date.now();
    await produce(topics.lifecycle, [
      { key: A, value: submitted(A, T0), partition: 0 }, // 1
      { key: A, value: 'not json', partition: 0 }, // 2: its dead letter cannot be written
      { key: A, value: matched(A, T0 + 1), partition: 0 }, // 3: waits behind it
      { key: B, value: submitted(B, T0 + 2), partition: 1 },
    ]);
    // the other partition goes on; this one applied what came before the bad record
    await eventually(() => s.service.pipeline.store.get(B) !== undefined, 15_000, 'partition 1 applied');
    await eventually(() => s.service.pipeline.store.get(A) !== undefined, 15_000, 'the record before the bad one applied');

    await eventually(
      () => s.service.readiness().reason?.includes(`dead-letter topic "${topics.dlq}"`) === true,
      STALL_READY_MS + SLACK_MS,
      () => `not ready, naming the DLQ (${s.service.readiness().reason})`,
    );
    expect(Date.now() - producedAt).toBeLessThan(STALL_READY_MS + SLACK_MS);
    const notReady = await readyz(s);
    expect(notReady.status).toBe(503);
    expect(notReady.reason).toContain(`${topics.lifecycle}/0 has not moved from offset 2`);
    expect(notReady.reason).toContain(`dead-letter topic "${topics.dlq}"`);
    expect(s.service.pipeline.store.get(A)).toMatchObject({ status: 'SUBMITTED', solver: null });
    expect(await s.service.metrics.dlqWritable.get()).toMatchObject({ values: [{ value: 0 }] });

    // the topic is back: the dead letter is written, the waiting record applied, ready again
    await setDlq(topics.dlq, true);
    await eventually(() => s.service.pipeline.store.get(A)?.status === 'MATCHED', 30_000, 'the record after the bad one applied');
    await eventually(
      () => s.service.readiness().ready,
      15_000,
      () => `ready again (${s.service.readiness().reason})`,
    );
    const dead = await readTopic(kafka('dlq-outage-reader'), topics.dlq, 1);
    expect(dead.map((d) => d.headers[DLQ_HEADERS.offset])).toEqual(['2']);
    expect(s.service.progress().recordsRead).toBe(5);
  }, 120_000);

  it('missing at start: the node starts, waits at the first bad record with the reason, and resumes when the topic exists', async () => {
    const topics: TestTopics = {
      lifecycle: uniqueTopic('dlq-missing.lifecycle'),
      proofs: uniqueTopic('dlq-missing.proofs'),
      dlq: uniqueTopic('dlq-missing.dlq'),
    };
    await createTopics([topics.lifecycle, topics.proofs], 1);
    await produce(topics.lifecycle, [
      { key: A, value: submitted(A, T0) },
      { key: A, value: '{"half": ' },
      { key: A, value: matched(A, T0 + 1) },
    ]);
    const s = await start(topics);
    await eventually(
      () => s.service.readiness().reason?.includes(`"${topics.dlq}" does not exist`) === true,
      STALL_READY_MS + SLACK_MS,
      () => `stalled (${s.service.readiness().reason})`,
    );
    const notReady = await readyz(s);
    expect(notReady.status).toBe(503);
    expect(notReady.reason).toContain(`"${topics.dlq}" does not exist`);
    expect(s.service.pipeline.store.get(A)).toMatchObject({ status: 'SUBMITTED' });

    await setDlq(topics.dlq, true);
    await s.service.caughtUp;
    await eventually(
      () => s.service.readiness().ready,
      15_000,
      () => `ready (${s.service.readiness().reason})`,
    );
    expect(s.service.pipeline.store.get(A)).toMatchObject({ status: 'MATCHED' });
    expect((await readTopic(kafka('dlq-missing-reader'), topics.dlq, 1)).map((d) => d.headers[DLQ_HEADERS.offset])).toEqual(['1']);
  }, 120_000);
});
