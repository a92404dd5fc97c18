/**
 * The writer on the real broker: a snapshot far larger than the topic's max.message.bytes is
 * written as many records, none refused, and loads back to the same store.
 */
import { describe, expect, it } from 'vitest';
import { ProjectionStore } from '../../src/reduce/store.js';
import { REDUCER_VERSION } from '../../src/reduce/version.js';
import { encodeImage } from '../../src/snapshot/codec.js';
import { createTopics } from '../../src/ingest/topics.js';
import { loadNewest, scanSnapshots } from '../../src/snapshot/loader.js';
import { SnapshotWriter } from '../../src/snapshot/writer.js';
import { kafka, uniqueTopic } from '../support/broker.js';
import { decodeAll, generateHistory } from '../support/histories.js';
import { projectionsOf, testLogger } from '../support/service-harness.js';

describe('snapshot writer (real broker)', () => {
  it('cuts a snapshot to the topic max.message.bytes and loads it back', async () => {
    const topic = uniqueTopic('writer.snapshots');
    const client = kafka('writer-test');
    const admin = client.admin();
    await admin.connect();
    await createTopics(admin, [
      { topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '65536' }] },
    ]);
    await admin.disconnect();

    const h = generateHistory({ intents: 2000, seed: 8 });
    const store = new ProjectionStore();
    store.applyAll(decodeAll([...h.lifecycle, ...h.proof]));
    const writer = new SnapshotWriter({ kafka: client, topic, logger: testLogger() });
    const positions = [{ topic: 'l', partition: 0, offset: '5' }];
    const written = await writer.write(
      {
        reducer: REDUCER_VERSION,
        topics: { lifecycle: 'l', proofs: 'p' },
        positions,
        intents: store.size,
        tombstones: store.tombstones,
        eventsApplied: store.eventsApplied,
        stats: store.stats(),
      },
      encodeImage(store.exportRecords()),
    );
    await writer.close();
    expect(written.bytes).toBeGreaterThan(4 * 65536);
    expect(written.chunks).toBeGreaterThan(4);

    const scan = await scanSnapshots({
      kafka: client,
      topic,
      logger: testLogger(),
      expectation: { reducer: REDUCER_VERSION, topics: { lifecycle: 'l', proofs: 'p' }, partitionCounts: new Map([['l', 1]]) },
    });
    if (scan.missing) throw new Error('topic missing');
    const loaded = await loadNewest(scan.snapshots, [{ topic: 'l', partition: 0, low: 0n, high: 10n }], testLogger());
    expect(loaded?.header.id).toBe(written.id);
    expect(loaded?.resumeAt.get('l/0')).toBe(5n);
    const restored = ProjectionStore.fromRecords(loaded!.image);
    expect(projectionsOf(restored)).toEqual(projectionsOf(store));
    expect(restored.stats()).toEqual(store.stats());
  });
});
