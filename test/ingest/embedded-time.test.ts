/**
 * Untrusted time in embedded mode (docs/reducer.md "Untrusted time"): the in-process log stamps
 * each record with its clock at append, as a broker does (`LogAppendTime`), so records dated year
 * 9999 are counted as future-dated and neither make the store forget removals nor let a
 * redelivered event of a removed intent back in; pruning goes on as the log's clock moves. The
 * same story as test/ingest/untrusted-time.int.test.ts on the broker.
 */
import { describe, expect, it } from 'vitest';
import type { IntentEventInput } from '../../src/contract/events.js';
import { EmbeddedLog, MAX_TIMESTAMP_AHEAD_MS } from '../../src/ingest/embedded-log.js';
import { EmbeddedSource } from '../../src/ingest/embedded-source.js';
import { MemoryDeadLetterSink } from '../../src/ingest/memory-dlq.js';
import { Pipeline } from '../../src/pipeline.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { wireEvent } from '../support/histories.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const FAR = Date.parse('9999-12-31T00:00:00.000Z');
const T = Date.parse('2026-11-01T00:00:00.000Z');
const TOPICS = { lifecycle: 'lifecycle', proofs: 'proofs' };
const R = `0x${'a1'.repeat(32)}`; // submitted, then removed
const Z = `0x${'b2'.repeat(32)}`; // removed in year 9999
const F = `0x${'c3'.repeat(32)}`; // submitted in year 9999
const O = `0x${'d4'.repeat(32)}`; // moves both topics' time on

describe('embedded mode: record timestamps of the in-process log', () => {
  it('bound the housekeeping clock: far-future records are counted, removals kept, pruning goes on', async () => {
    let now = T;
    const log = new EmbeddedLog([TOPICS.lifecycle, TOPICS.proofs], { partitions: 1, clock: () => now });
    const append = (e: IntentEventInput) =>
      log.append(e.type.startsWith('proof.') ? TOPICS.proofs : TOPICS.lifecycle, { key: e.intentId, value: JSON.stringify(e) });
    const both = (at: number) => {
      now = at;
      append(wireEvent('intent.matched', { intentId: O, at, data: { solver: `0xs${at}` } }));
      append(wireEvent('proof.requested', { intentId: O, at }));
    };
    const futureDated: string[] = [];
    const pipeline = new Pipeline({
      store: new ProjectionStore({ tombstoneRetentionMs: HOUR, maxClockSkewMs: MIN }),
      sink: { deliver: () => undefined, statsChanged: () => undefined, caughtUp: () => undefined },
      dlq: new MemoryDeadLetterSink(),
      topics: TOPICS,
      maxClockSkewMs: MIN,
      hooks: { onFutureDated: (topic) => futureDated.push(topic) },
    });
    const store = pipeline.store;
    const rSubmitted = wireEvent('intent.submitted', { intentId: R, at: T + MIN, data: { fromChain: 1, toChain: 10, amount: '5' } });
    now = T + MIN;
    append(rSubmitted);
    now = T + 2 * MIN;
    append(wireEvent('intent.removed', { intentId: R, at: T + 2 * MIN }));
    append(wireEvent('intent.removed', { intentId: Z, at: FAR }));
    now = T + 3 * MIN;
    append(wireEvent('intent.submitted', { intentId: F, at: FAR, data: { fromChain: 1, toChain: 10, amount: '7' } }));
    append(wireEvent('proof.requested', { intentId: F, at: FAR }));
    both(T + 4 * MIN);

    const source = new EmbeddedSource(log);
    await source.start({ onBatch: (b) => pipeline.applyBatch(b), onCaughtUp: () => pipeline.markCaughtUp() });
    try {
      const read = () => source.progress().recordsRead;
      await expect.poll(read).toBe(7);
      expect(store.tombstones).toBe(2); // R and Z
      // Z's removal and F's submission on the lifecycle topic, F's proof request on the proofs topic
      expect(futureDated.sort()).toEqual([TOPICS.lifecycle, TOPICS.lifecycle, TOPICS.proofs]);

      // live: both topics move on (pruning runs), then the removed intent's submission is redelivered
      both(T + 5 * MIN);
      append(rSubmitted);
      await expect.poll(read).toBe(10);
      expect(store.get(R)).toBeUndefined();
      expect(store.tombstones).toBe(2);
      expect(store.get(F)?.updatedAt).toBe(FAR); // the fold still goes by occurredAt

      // three hours later by the log's clock, both tombstones are past the 1 h window: pruned
      both(T + 3 * HOUR);
      await expect.poll(read).toBe(12);
      expect(store.tombstones).toBe(0);
      expect(store.size).toBe(2); // F and O
    } finally {
      await source.stop();
    }
  });

  it('stamps records with its clock, keeps a given timestamp, and refuses one too far ahead, as a broker does', () => {
    const now = T;
    const log = new EmbeddedLog(['t'], { partitions: 1, clock: () => now });
    log.append('t', { key: 'k', value: 'a' });
    log.append('t', { key: 'k', value: 'b', timestamp: T - HOUR });
    expect(log.read('t', 0, 0, 10).map((r) => r.timestamp)).toEqual([T, T - HOUR]);
    expect(() => log.append('t', { key: 'k', value: 'c', timestamp: T + MAX_TIMESTAMP_AHEAD_MS + 1 })).toThrow(/ahead of the log's clock/);
    expect(log.end('t', 0)).toBe(2);
  });
});
