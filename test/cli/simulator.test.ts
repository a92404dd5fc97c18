/**
 * The simulator behind embedded mode and `simulate`: its histories are valid protocol events that
 * fold into the ending they were generated for; it is reproducible from a seed, keeps the target
 * rate, and the embedded source replays then follows the in-process log like a Kafka consumer.
 */
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../src/ingest/decode.js';
import { EmbeddedLog } from '../../src/ingest/embedded-log.js';
import { EmbeddedSource } from '../../src/ingest/embedded-source.js';
import { MemoryDeadLetterSink } from '../../src/ingest/memory-dlq.js';
import { formatIntent } from '../../src/fanout/format.js';
import type { SourceBatch } from '../../src/ingest/source.js';
import { Pipeline } from '../../src/pipeline.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { finalStatus, generateLifecycle, OUTCOMES, type Lifecycle } from '../../src/sim/lifecycle.js';
import { createRng } from '../../src/sim/prng.js';
import { Producer } from '../../src/sim/producer.js';
import { Scheduler } from '../../src/sim/scheduler.js';
import { embeddedSink } from '../../src/sim/sinks.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const TOPICS = { lifecycle: 'intents.lifecycle', proofs: 'intents.proofs' };

function fold(l: Lifecycle): ProjectionStore {
  const store = new ProjectionStore();
  for (const e of l.events) {
    const d = decodeRecord({ value: JSON.stringify(e.event) });
    if (!d.ok) throw new Error(`${e.event.type}: ${d.reason}`);
    store.apply(d.event);
  }
  return store;
}

describe('lifecycle generator', () => {
  it('every outcome is a valid history that ends in the expected status', () => {
    const rng = createRng(1);
    for (const outcome of OUTCOMES) {
      for (let i = 0; i < 20; i++) {
        const l = generateLifecycle(rng, T0, { outcome });
        const store = fold(l);
        const p = store.get(l.intentId);
        const expected = finalStatus(l);
        if (expected === null) expect(p, `${outcome} removed`).toBeUndefined();
        else expect(p?.status, outcome).toBe(expected);
        // the protocol's order: submitted first, timestamps never go back
        expect(l.events[0]!.event.type).toBe('intent.submitted');
        const times = l.events.map((e) => e.at);
        expect([...times].sort((a, b) => a - b)).toEqual(times);
        // topics carry their own event families
        for (const e of l.events) expect(e.event.type.startsWith(e.topic === 'lifecycle' ? 'intent.' : 'proof.')).toBe(true);
      }
    }
  });

  it('a completed intent walks the whole flow: proofs verified, both HTLCs, completed', () => {
    const l = generateLifecycle(createRng(3), T0, { outcome: 'completed', removalShare: 0, settlementShare: 1 });
    expect(l.events.filter((e) => e.topic === 'lifecycle').map((e) => e.event.type)).toEqual([
      'intent.submitted',
      'intent.matched',
      'intent.source_lock_requested',
      'intent.source_locked',
      'intent.destination_locked',
      'intent.destination_withdrawn',
      'intent.completed',
    ]);
    expect(l.events.filter((e) => e.topic === 'proofs').map((e) => e.event.type)).toEqual([
      'proof.requested',
      'proof.generating',
      'proof.generated',
      'proof.verified',
      'proof.settlement_generated',
    ]);
    const p = fold(l).get(l.intentId)!;
    expect(p).toMatchObject({ status: 'COMPLETED', proofStatus: 'verified', htlcState: 'source_withdrawn' });
    expect(Object.keys(p.txHashes).sort()).toEqual(['destinationLock', 'destinationWithdraw', 'sourceLock', 'sourceWithdraw']);
  });

  it('a refund fails the intent and refunds both sides', () => {
    const l = generateLifecycle(createRng(4), T0, { outcome: 'refunded', removalShare: 0 });
    const p = fold(l).get(l.intentId)!;
    expect(p).toMatchObject({ status: 'FAILED', htlcState: 'refunded', failureReason: 'HTLC_EXPIRED' });
    expect(p.txHashes.sourceRefund).toBeDefined();
    expect(p.txHashes.destinationRefund).toBeDefined();
  });

  it('is reproducible from the seed and scales its timings', () => {
    const a = generateLifecycle(createRng(9), T0);
    const b = generateLifecycle(createRng(9), T0);
    expect(a).toEqual(b);
    expect(generateLifecycle(createRng(10), T0).intentId).not.toBe(a.intentId);
    const slow = generateLifecycle(createRng(9), T0, { timeScale: 1 });
    const fast = generateLifecycle(createRng(9), T0, { timeScale: 0.01 });
    const span = (l: Lifecycle) => l.events.at(-1)!.at - l.events[0]!.at;
    expect(span(fast)).toBeLessThan(span(slow) / 20);
  });
});

describe('scheduler', () => {
  it('interleaves many intents in time order at the target rate', () => {
    const s = new Scheduler({ seed: 5, startMs: T0, rate: 200 });
    const events = [];
    for (let i = 0; i < 20_000; i++) events.push(s.next()!);
    const times = events.map((e) => e.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const seconds = (times.at(-1)! - times[0]!) / 1000;
    expect(events.length / seconds).toBeGreaterThan(170);
    expect(events.length / seconds).toBeLessThan(230);
    // several intents in flight at once: consecutive events belong to different intents
    const ids = new Set(events.slice(1000, 1100).map((e) => e.event.intentId));
    expect(ids.size).toBeGreaterThan(5);
  });

  it('with maxIntents, runs exactly that many histories to their end', () => {
    const s = new Scheduler({ seed: 6, startMs: T0, rate: 1000, maxIntents: 25 });
    const all = s.takeUntil(Number.MAX_SAFE_INTEGER);
    expect(s.done).toBe(true);
    expect(new Set(all.map((e) => e.event.intentId)).size).toBe(25);
    expect(all.filter((e) => e.event.type === 'intent.submitted')).toHaveLength(25);
  });
});

describe('embedded source', () => {
  it('replays what the log holds, reports caught up, then delivers new records live', async () => {
    const log = new EmbeddedLog([TOPICS.lifecycle, TOPICS.proofs]);
    const scheduler = new Scheduler({ seed: 8, startMs: T0, rate: 100, maxIntents: 30 });
    let now = T0 + 3000;
    const producer = new Producer({
      scheduler,
      sink: embeddedSink(log, TOPICS),
      seed: 8,
      duplicates: 0.2,
      malformed: 0.1,
      clock: () => now,
    });
    await producer.step();
    const history = log.size;
    expect(history).toBeGreaterThan(100);

    const delivered: { caughtUpAt: number | null; batches: SourceBatch[] } = { caughtUpAt: null, batches: [] };
    const dlq = new MemoryDeadLetterSink();
    const emitted: string[] = [];
    const pipeline = new Pipeline({
      store: new ProjectionStore(),
      sink: { deliver: (es) => emitted.push(...es.map((e) => e.event)), statsChanged: () => undefined, caughtUp: () => undefined },
      dlq,
    });
    const source = new EmbeddedSource(log, { batchSize: 50 });
    let count = 0;
    await source.start({
      onBatch: async (b) => {
        delivered.batches.push(b);
        count += b.records.length;
        await pipeline.applyBatch(b);
      },
      onCaughtUp: () => {
        delivered.caughtUpAt = count;
        pipeline.markCaughtUp();
      },
    });
    await expect.poll(() => delivered.caughtUpAt).toBe(history);
    expect(source.progress()).toMatchObject({ caughtUp: true, recordsRead: history, recordsToReplay: history });
    expect(emitted).toEqual([]); // nothing emitted for history

    now = Number.MAX_SAFE_INTEGER;
    await producer.step();
    await expect.poll(() => count).toBe(log.size);
    expect(emitted).toContain('intent:status');
    await source.stop();

    const summary = producer.result();
    expect(dlq.total).toBe(summary.malformed);
    expect(pipeline.records).toBe(summary.records);
    // duplicates change nothing: the same projections as folding each event once
    expect(pipeline.store.size).toBe(30 - summary.removed);
    const once = new ProjectionStore();
    const seen = new Set<string>();
    for (const r of delivered.batches.flatMap((b) => b.records)) {
      const d = decodeRecord(r);
      if (!d.ok || seen.has(d.event.eventId)) continue;
      seen.add(d.event.eventId);
      once.apply(d.event);
    }
    expect(summary.duplicates).toBeGreaterThan(0);
    const formatted = (st: ProjectionStore) =>
      [...st.projections()].map((p) => formatIntent(p, 0)).sort((a, b) => a.intentId.localeCompare(b.intentId));
    expect(formatted(pipeline.store)).toEqual(formatted(once));
    // per partition, offsets arrive in order
    for (const b of delivered.batches) {
      const offs = b.records.map((r) => Number(r.offset));
      expect(offs).toEqual([...offs].sort((x, y) => x - y));
    }
  });

  it('keeps a bounded history: old records are dropped like Kafka retention, replay starts at the earliest kept', async () => {
    const log = new EmbeddedLog(['t'], { partitions: 1, retainPerPartition: 10 });
    for (let i = 0; i < 100; i++) log.append('t', { key: 'k', value: String(i) });
    expect(log.size).toBeLessThanOrEqual(10);
    expect(log.end('t', 0)).toBe(100);
    const first = log.start('t', 0);
    expect(first).toBeGreaterThan(80);

    const seen: string[] = [];
    let caughtUp = false;
    const source = new EmbeddedSource(log);
    await source.start({
      onBatch: async (b) => {
        seen.push(...b.records.map((r) => `${r.offset}:${r.value!.toString()}`));
      },
      onCaughtUp: () => (caughtUp = true),
    });
    await expect.poll(() => caughtUp).toBe(true);
    expect(seen[0]).toBe(`${first}:${first}`);
    expect(seen.at(-1)).toBe('99:99');
    expect(source.progress().recordsToReplay).toBe(100 - first);
    await source.stop();
  });
});
