/**
 * Compressed record batches (docs/ingestion.md "Compression"): batches written by the Kafka Java
 * client with each `compression.type` Kafka defines are read like uncompressed ones, in the
 * start-up replay and live. The producer is not ours (test/support/java-producer.ts), so the
 * batches are framed as other people's producers frame them (e.g. xerial snappy).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IntentEventInput } from '../../src/contract/events.js';
import { brokers } from '../support/broker.js';
import { generateHistory } from '../support/histories.js';
import { JAVA_CODECS, javaProduce, type JavaCompression, type JavaRecord } from '../support/java-producer.js';
import {
  createTestTopics,
  eventually,
  expectedProjections,
  projectionsOf,
  startKafkaPipeline,
  topicOf,
  type RunningPipeline,
  type TestTopics,
} from '../support/service-harness.js';

const running: RunningPipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

/** Each intent's records with one codec (by intent), keyed by intentId as the protocol's producers do. */
function records(topics: TestTopics, events: readonly IntentEventInput[], codecOf: (intentId: string) => JavaCompression): JavaRecord[] {
  return events.map((e) => ({
    compression: codecOf(e.intentId.toLowerCase()),
    topic: topicOf(e, topics),
    key: e.intentId.toLowerCase(),
    value: JSON.stringify(e),
  }));
}

describe('compressed record batches from the Kafka Java client', () => {
  it('applies gzip, snappy, lz4 and zstd batches in the start-up replay and live', async () => {
    const topics = await createTestTopics('codecs', 2);
    const history = generateHistory({ intents: 80, seed: 11 });
    const codecOf = (id: string): JavaCompression => JAVA_CODECS[history.intentIds.indexOf(id) % JAVA_CODECS.length]!;
    const replayed = [...history.lifecycle, ...history.proof];
    await javaProduce(brokers(), records(topics, replayed, codecOf));

    const p = await startKafkaPipeline(topics);
    running.push(p);
    await p.caughtUp;
    expect(p.fatal).toBeNull();
    expect(p.pipeline.deadLettered).toBe(0);
    expect(p.ingestion.source.progress().recordsRead).toBe(replayed.length);
    expect(projectionsOf(p.pipeline.store)).toEqual(expectedProjections(replayed));
    // every codec carried intents
    for (const codec of JAVA_CODECS) expect(history.intentIds.some((id) => codecOf(id) === codec)).toBe(true);

    // live: a second history, each codec again
    const more = generateHistory({ intents: 40, seed: 12, startAt: Date.parse('2026-11-28T10:00:00.000Z') });
    const liveOf = (id: string): JavaCompression => JAVA_CODECS[more.intentIds.indexOf(id) % JAVA_CODECS.length]!;
    const live = [...more.lifecycle, ...more.proof];
    await javaProduce(brokers(), records(topics, live, liveOf));
    const all = [...history.lifecycle, ...more.lifecycle, ...history.proof, ...more.proof];
    await eventually(
      () => p.ingestion.source.progress().recordsRead === all.length,
      60_000,
      () => `${all.length} records read (got ${p.ingestion.source.progress().recordsRead})`,
    );
    expect(p.fatal).toBeNull();
    expect(p.pipeline.deadLettered).toBe(0);
    expect(projectionsOf(p.pipeline.store)).toEqual(expectedProjections(all));
    // live records were emitted: every new intent announced
    const announced = new Set(p.recorder.emissions.filter((e) => e.event === 'intent:new').map((e) => e.payload.intentId));
    for (const id of more.intentIds) {
      if (more.lifecycle.some((e) => e.intentId.toLowerCase() === id && e.type !== 'intent.removed')) expect(announced.has(id)).toBe(true);
    }
  }, 240_000);
});
