/**
 * A consumer that keeps crashing (docs/ingestion.md "Stalls and readiness"), with the real
 * service and a group member it did not write: `KAFKA_GROUP_ID` names a group that another
 * application, a Kafka Java client with its own assignors, already holds. Every join of the
 * service's kafkajs consumer is refused (INCONSISTENT_GROUP_PROTOCOL) and the consumer crashes,
 * again after each restart. While records wait, /readyz answers 503 within STALL_READY_MS with the
 * reason, the process keeps running; once the other member leaves, the node joins, applies
 * everything and becomes ready.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, kafka, uniqueTopic } from '../support/broker.js';
import { wireEvent } from '../support/histories.js';
import { javaGroupMember, type JavaGroupMember } from '../support/java-group-member.js';
import { createTestTopics, eventually, startKafkaService, type RunningService } from '../support/service-harness.js';

const running: RunningService[] = [];
const members: JavaGroupMember[] = [];
afterEach(async () => {
  await Promise.all(members.splice(0).map((m) => m.leave()));
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

const A = `0x${'c3'.repeat(32)}`;
const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const STALL_READY_MS = 4000;
/** the stall check's granularity (a quarter of STALL_READY_MS, twice) and a loaded machine */
const SLACK_MS = 4000;

describe('a consumer that keeps crashing', () => {
  it('answers 503 with the reason while records wait, keeps running, and catches up once it can join', async () => {
    const topics = await createTestTopics('consumer-crash', 1);
    const group = uniqueTopic('consumer-crash.group');
    const producer = kafka('consumer-crash-producer').producer();
    await producer.connect();
    await producer.send({
      topic: topics.lifecycle,
      acks: -1,
      messages: [
        {
          key: A,
          value: JSON.stringify(wireEvent('intent.submitted', { intentId: A, at: T0, data: { fromChain: 1, toChain: 10, amount: '5' } })),
        },
        { key: A, value: JSON.stringify(wireEvent('intent.matched', { intentId: A, at: T0 + 1, data: { solver: '0xs' } })) },
      ],
    });
    await producer.disconnect();
    members.push(await javaGroupMember(brokers(), group, topics.lifecycle));

    const s = await startKafkaService(topics, { env: { STALL_READY_MS: String(STALL_READY_MS), KAFKA_GROUP_ID: group } });
    running.push(s);
    // the node is stuck from its start: the bound counts from there (not from the admin calls before)
    const startedAt = Date.now();
    await eventually(
      () => s.service.readiness().reason?.includes('the Kafka consumer keeps failing') === true,
      3 * (STALL_READY_MS + SLACK_MS),
      () => `not ready, naming the crash (${s.service.readiness().reason})`,
    );
    expect(Date.now() - startedAt).toBeLessThan(STALL_READY_MS + SLACK_MS);
    const r = await fetch(`${s.service.url}/readyz`);
    const body = (await r.json()) as { reason?: string };
    expect(r.status).toBe(503);
    expect(body.reason).toContain(`${topics.lifecycle}/0 has not moved from offset 0 `);
    expect(body.reason).toMatch(/incompatible/i);
    expect(s.service.pipeline.store.get(A)).toBeUndefined();
    const scrape = await (await fetch(`${s.service.url}/metrics`)).text();
    expect(Number(/^intent_projector_consumer_crashes_total (\d+)$/m.exec(scrape)?.[1])).toBeGreaterThanOrEqual(1);

    // the other application leaves: the next restart joins, everything is applied, ready
    await members.splice(0)[0]!.leave();
    await s.service.caughtUp;
    await eventually(
      () => s.service.readiness().ready,
      30_000,
      () => `ready (${s.service.readiness().reason})`,
    );
    expect(s.service.pipeline.store.get(A)).toMatchObject({ status: 'MATCHED', solver: '0xs' });
  }, 180_000);
});
