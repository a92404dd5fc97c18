/**
 * Restart from a snapshot on the real broker, through the serve command's own wiring (startApp):
 * a node replays, writes a snapshot, stops; more events are produced; a new node starts from the
 * snapshot and reads only what follows it, and ends with the /stats and projections of a node
 * that replays everything (a node whose snapshot topic does not exist: one warning, full replay).
 * Newer snapshots that are corrupt, of another reducer version, or incomplete are skipped, each
 * with one log line naming why, and the result is still right.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { IntentEventInput } from '../../src/contract/events.js';
import type { Logger } from '../../src/log.js';
import { type App, startApp } from '../../src/main.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { REDUCER_VERSION } from '../../src/reduce/version.js';
import { encodeImage } from '../../src/snapshot/codec.js';
import { sealSnapshot } from '../../src/snapshot/envelope.js';
import { scanSnapshots } from '../../src/snapshot/loader.js';
import { SNAPSHOT_PARTITION, toMessages } from '../../src/snapshot/records.js';
import { createTopics, kafka, uniqueTopic } from '../support/broker.js';
import { decodeAll, generateHistory } from '../support/histories.js';
import {
  createTestTopics,
  eventually,
  expectedProjections,
  produceEvents,
  projectionsOf,
  testConfig,
  testLogger,
  type TestTopics,
} from '../support/service-harness.js';

interface LogLine {
  level: number;
  msg: string;
  reason?: string;
  [k: string]: unknown;
}

/** A logger that keeps its lines (and still obeys TEST_LOG_LEVEL for the console via testLogger). */
function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  const logger: Logger = pino({ level: 'info' }, stream);
  return { logger, lines };
}

const apps: App[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop().catch(() => undefined)));
});

async function start(topics: TestTopics, snapshots: string, env: Record<string, string> = {}) {
  const { logger, lines } = recordingLogger();
  const config = testConfig(topics, { KAFKA_TOPIC_SNAPSHOTS: snapshots, SNAPSHOT_INTERVAL_MS: '3600000', ...env });
  const app = await startApp({ config, logger });
  apps.push(app);
  await app.service.caughtUp;
  return { app, lines };
}

async function getJson(url: string): Promise<unknown> {
  return (await fetch(url)).json();
}

const split = (events: IntentEventInput[], at: number) => [events.slice(0, at), events.slice(at)] as const;

describe('restart from a snapshot (real broker)', () => {
  const history = generateHistory({ intents: 400, seed: 11, removeRate: 0.15, truncateRate: 0.05 });
  const events: IntentEventInput[] = [...history.lifecycle, ...history.proof];
  // each topic keeps its own order: cut the lifecycle and proof records separately
  const [l1, l2] = split(history.lifecycle, Math.floor(history.lifecycle.length * 0.6));
  const [p1, p2] = split(history.proof, Math.floor(history.proof.length * 0.6));
  let topics: TestTopics;
  const snapshots = uniqueTopic('restart.snapshots');

  it('writes, stops, and a new node reads on from the snapshot: the same state as a full replay', async () => {
    topics = await createTestTopics('restart', 3);
    await createTopics([snapshots], 1);
    const client = kafka('restart-test');
    await produceEvents(client, topics, [...l1, ...p1]);

    const first = await start(topics, snapshots);
    await eventually(() => first.lines.some((l) => /^snapshot \S+ written$/.test(l.msg)), 30_000, 'a snapshot written after catch-up');
    const restoreFirst = first.app.service.restore();
    expect(restoreFirst?.from).toBe('replay');
    expect(restoreFirst?.recordsReplayed).toBe(l1.length + p1.length);
    await first.app.stop();

    await produceEvents(client, topics, [...l2, ...p2]);
    const second = await start(topics, snapshots);
    const r = second.app.service.restore();
    expect(r).toMatchObject({ from: 'snapshot', recordsReplayed: l2.length + p2.length });
    const ready = (await getJson(`${second.app.service.url}/readyz`)) as { restore: unknown };
    expect(ready.restore).toEqual(r);
    expect(second.lines.some((l) => l.msg.startsWith('restore: from snapshot'))).toBe(true);

    // a node without the snapshot topic: one warning naming it, full replay
    const missing = uniqueTopic('restart.no-such-snapshots');
    const full = await start(topics, missing);
    const warnings = full.lines.filter((l) => l.level === 40 && l.msg.includes(missing));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('does not exist: starting by full replay');
    expect(full.app.service.restore()).toMatchObject({ from: 'replay', recordsReplayed: events.length });

    expect(await getJson(`${second.app.service.url}/stats`)).toEqual(await getJson(`${full.app.service.url}/stats`));
    expect(projectionsOf(second.app.service.pipeline.store)).toEqual(projectionsOf(full.app.service.pipeline.store));
    expect(projectionsOf(second.app.service.pipeline.store)).toEqual(expectedProjections(events));
    expect(second.app.service.pipeline.store.tombstones).toBe(full.app.service.pipeline.store.tombstones);
    // (eventsApplied is not compared: it counts events that changed something, which depends on
    // how the two topics' records interleave, and two full replays interleave differently too)
    await second.app.stop();
    await full.app.stop();
  });

  /** The metadata and image of a snapshot of the first lifecycle events (l1), at offset 1 of every partition. */
  const snapshotOfL1 = () => {
    const store = new ProjectionStore();
    store.applyAll(decodeAll(l1));
    const meta = {
      createdAt: Date.now(),
      topics: { lifecycle: topics.lifecycle, proofs: topics.proofs },
      positions: [0, 1, 2].flatMap((partition) => [
        { topic: topics.lifecycle, partition, offset: '1' },
        { topic: topics.proofs, partition, offset: '1' },
      ]),
      intents: store.size,
      tombstones: store.tombstones,
      eventsApplied: store.eventsApplied,
      stats: store.stats(),
    };
    return { meta, image: encodeImage(store.exportRecords()) };
  };

  it('skips a newer corrupt, incompatible or incomplete snapshot, each with its reason, and is still right', async () => {
    // three bad snapshots after the good ones, newest last: incomplete, corrupt, other reducer
    const { meta, image } = snapshotOfL1();
    const incomplete = await sealSnapshot({ ...meta, id: 'bad-incomplete', reducer: REDUCER_VERSION }, image, 4096);
    const corrupt = await sealSnapshot({ ...meta, id: 'bad-corrupt', reducer: REDUCER_VERSION }, image, 4096);
    const flipped = corrupt.chunks.map((c) => Buffer.from(c));
    flipped[0]![10]! ^= 0xff;
    const other = await sealSnapshot({ ...meta, id: 'bad-reducer', reducer: REDUCER_VERSION + 1 }, image, 4096);
    const producer = kafka('restart-bad').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const send = (messages: ReturnType<typeof toMessages>) =>
      producer.send({ topic: snapshots, acks: -1, messages: messages.map((m) => ({ ...m, partition: SNAPSHOT_PARTITION })) });
    await send(toMessages(incomplete).slice(0, -1));
    await send(toMessages({ ...corrupt, chunks: flipped }));
    await send(toMessages(other));
    await producer.disconnect();

    const node = await start(topics, snapshots);
    const skipped = node.lines.filter((l) => l.msg.startsWith('snapshot skipped'));
    expect(skipped.map((l) => [l['snapshot'], l.reason])).toEqual([
      ['bad-reducer', `reducer version ${REDUCER_VERSION + 1}, this node folds with ${REDUCER_VERSION}`],
      ['bad-corrupt', 'checksum mismatch (corrupt)'],
      ['bad-incomplete', expect.stringMatching(/^incomplete: no trailer after \d+ chunks/)],
    ]);
    // read back from the end, one snapshot after the other: no read of the whole topic
    expect(node.lines.some((l) => l.msg.includes('does not line up'))).toBe(false);
    expect(node.app.service.restore()).toMatchObject({ from: 'snapshot', recordsReplayed: 0 });
    expect(projectionsOf(node.app.service.pipeline.store)).toEqual(expectedProjections(events));
    await node.app.stop();
  });

  it('reads the topic from its start when the newest records do not line up (two writers at once), and is still right', async () => {
    const { meta, image } = snapshotOfL1();
    const a = toMessages(await sealSnapshot({ ...meta, id: 'mixed-a', reducer: REDUCER_VERSION + 1 }, image, 4096));
    const b = toMessages(await sealSnapshot({ ...meta, id: 'mixed-b', reducer: REDUCER_VERSION + 1 }, image, 4096));
    const interleaved = a.flatMap((m, i) => [m, ...(b[i] === undefined ? [] : [b[i]!])]);
    const producer = kafka('restart-mixed').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: snapshots, acks: -1, messages: interleaved.map((m) => ({ ...m, partition: SNAPSHOT_PARTITION })) });
    await producer.disconnect();

    const node = await start(topics, snapshots);
    expect(node.lines.some((l) => l.msg.includes('does not line up from its end: reading it from its start'))).toBe(true);
    const skipped = node.lines.filter((l) => l.msg.startsWith('snapshot skipped')).map((l) => l['snapshot']);
    expect(skipped.slice(0, 2).sort()).toEqual(['mixed-a', 'mixed-b']);
    expect(node.app.service.restore()).toMatchObject({ from: 'snapshot', recordsReplayed: 0 });
    expect(projectionsOf(node.app.service.pipeline.store)).toEqual(expectedProjections(events));
    await node.app.stop();
  });

  it('writes a last snapshot on a clean stop when something arrived since the last one', async () => {
    const node = await start(topics, snapshots);
    // elected first (it writes nothing then: nothing changed since the snapshot it started from)
    const writer = async () => (await node.app.service.metrics.snapshotWriter.get()).values[0]?.value === 1;
    for (const until = Date.now() + 30_000; !(await writer()) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
    expect(await writer()).toBe(true);
    const more = generateHistory({ intents: 20, seed: 99 });
    const extra = [...more.lifecycle, ...more.proof];
    await produceEvents(kafka('restart-more'), topics, extra);
    await eventually(() => node.app.service.pipeline.records === extra.length, 30_000, 'the new records read');
    await node.app.stop();
    const shutdown = node.lines.filter((l) => /^snapshot \S+ written$/.test(l.msg) && l['why'] === 'shutdown');
    expect(shutdown).toHaveLength(1);
    const after = await start(topics, snapshots);
    expect(after.app.service.restore()).toMatchObject({ from: 'snapshot', recordsReplayed: 0 });
    expect(projectionsOf(after.app.service.pipeline.store)).toEqual(expectedProjections([...events, ...extra]));
    await after.app.stop();
  });

  it('lists what the topic holds', async () => {
    const scan = await scanSnapshots({ kafka: kafka('restart-list'), topic: snapshots, logger: testLogger(), expectation: null });
    if (scan.missing) throw new Error('snapshot topic missing');
    expect(scan.snapshots.map((s) => s.id)).toEqual(expect.arrayContaining(['bad-incomplete', 'bad-corrupt', 'bad-reducer']));
    expect(scan.snapshots.filter((s) => s.trailer !== null && s.header?.reducer === REDUCER_VERSION).length).toBeGreaterThanOrEqual(3);
  });
});
