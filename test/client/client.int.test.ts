/**
 * `intent-projector/client` (src/client/index.ts) against the real service on the real broker:
 * it follows one intent and all intents, and when the node restarts mid-stream it reconnects,
 * resubscribes (with `{since}` of the last position it had, when the stream carries positions),
 * and carries on: the followed intent converges to the new node's projection, and all-intents
 * events produced after the restart arrive.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IntentClient } from '../../src/client/index.js';
import type { IntentEventInput } from '../../src/contract/events.js';
import type { FormattedIntent } from '../../src/contract/socket.js';
import { formatIntent } from '../../src/fanout/format.js';
import { kafka } from '../support/broker.js';
import { generateHistory } from '../support/histories.js';
import { freePort } from '../support/ports.js';
import { createTestTopics, produceEvents, type RunningService, startKafkaService } from '../support/service-harness.js';

const nodes: RunningService[] = [];
const clients: IntentClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

/** The parts of a formatted intent that describe the intent (not the emission). */
function state(i: FormattedIntent): Record<string, unknown> {
  const { timestamp: _t, ...rest } = i as FormattedIntent & { position?: string };
  delete (rest as { position?: string }).position;
  return rest;
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('IntentClient on a node that restarts mid-stream', () => {
  it('follows one intent and all intents, resubscribes after the restart, and converges', async () => {
    const topics = await createTestTopics('client', 2);
    const port = await freePort();
    const env = { PORT: String(port) };
    const producer = kafka('client-producer');
    nodes.push(await startKafkaService(topics, { env }));
    await nodes[0]?.service.caughtUp;

    const before = generateHistory({ intents: 12, seed: 41, startAt: Date.parse('2027-04-01T00:00:00Z') });
    const after = generateHistory({ intents: 8, seed: 42, startAt: Date.parse('2027-04-02T00:00:00Z') });
    const cut = (events: readonly IntentEventInput[]): [IntentEventInput[], IntentEventInput[]] => [
      events.slice(0, Math.floor(events.length / 2)),
      events.slice(Math.floor(events.length / 2)),
    ];
    const [life1, life2] = cut(before.lifecycle);
    const [proof1, proof2] = cut(before.proof);
    // the followed intent: one whose history goes on while the node is down
    const tail = new Set([...life2, ...proof2].map((e) => e.intentId));
    const followed = before.intentIds.find((id) => tail.has(id) && life1.some((e) => e.intentId === id));
    if (followed === undefined) throw new Error('no intent spans the cut');

    const client = new IntentClient({ url: `http://127.0.0.1:${port}`, socket: { reconnectionDelay: 100, reconnectionDelayMax: 300 } });
    clients.push(client);
    let one: FormattedIntent | null = null;
    const oneSubscribed: { resumed: boolean; recovered: boolean }[] = [];
    const allSubscribed: { resumed: boolean; recovered: boolean }[] = [];
    const seenAll = new Map<string, FormattedIntent>();
    client.followIntent(followed.toUpperCase().replace('0X', '0x'), {
      intent: (i) => {
        if (one === null || i.version >= one.version) one = i;
      },
      subscribed: (s) => oneSubscribed.push(s),
    });
    client.followAll({
      intent: (i) => {
        const known = seenAll.get(i.intentId);
        if (known === undefined || i.version >= known.version) seenAll.set(i.intentId, i);
      },
      subscribed: (s) => allSubscribed.push(s),
    });
    await until('both subscriptions answered', () => oneSubscribed.length === 1 && allSubscribed.length === 1);

    await produceEvents(producer, topics, [...life1, ...proof1]);
    const server = (): Omit<FormattedIntent, 'position'> | undefined => {
      const p = nodes[nodes.length - 1]?.service.pipeline.store.get(followed);
      return p === undefined ? undefined : formatIntent(p, 0);
    };
    await until(
      'the followed intent as the node has it',
      () => one !== null && server() !== undefined && one.version === server()?.version,
    );
    expect(state(one as unknown as FormattedIntent)).toEqual(state(server() as FormattedIntent));
    await until(
      'every intent of the first half through the all-intents room',
      () => new Set(life1.map((e) => e.intentId)).size <= seenAll.size,
    );

    // the node goes away; the history goes on; a new node comes up on the same address
    await nodes[0]?.stop();
    await until('the client noticed', () => !client.connected);
    await produceEvents(producer, topics, [...life2, ...proof2]);
    nodes.push(await startKafkaService(topics, { env }));
    await nodes[1]?.service.caughtUp;

    // resubscribed on its own: the followed intent converges to what it became while the node was down
    await until('resubscribed', () => oneSubscribed.length === 2 && allSubscribed.length === 2);
    await until('the followed intent after the restart', () => one !== null && one.version === server()?.version);
    expect(state(one as unknown as FormattedIntent)).toEqual(state(server() as FormattedIntent));

    // and the all-intents subscription is live again: intents created after the restart arrive
    await produceEvents(producer, topics, [...after.lifecycle, ...after.proof]);
    await until('the intents created after the restart', () => after.intentIds.every((id) => seenAll.has(id)));
    // the all-intents room carries status changes (not every version): each ends at the node's status
    for (const id of after.intentIds) {
      await until(`intent ${id} at the node's status`, () => {
        const p = nodes[1]?.service.pipeline.store.get(id);
        return p === undefined || seenAll.get(id)?.status === formatIntent(p, 0).status; // undefined: removed meanwhile
      });
    }
  });
});
