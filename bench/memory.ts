/**
 * Benchmark 4 (BENCHMARKS.md): heap bytes per live intent at 100,000 and 1,000,000 intents, then
 * per tombstone once every intent is removed.
 * Each intent gets a realistic history from the simulator's generator (decoded as at ingest; its
 * user, and for 60 % of completed intents a 514-character settlement proof, are part of what is kept),
 * folded into one ProjectionStore; heap is measured after full GCs, before and after: `heapUsed`
 * plus `arrayBuffers` (the store keeps intentIds and tombstones in typed arrays, whose memory
 * `heapUsed` does not count).
 * Usage: node --expose-gc --import tsx bench/memory.ts [--intents 1000000]
 */
import { decodeValue } from '../src/ingest/decode.js';
import { ProjectionStore } from '../src/reduce/store.js';
import { generateLifecycle } from '../src/sim/lifecycle.js';
import { createRng } from '../src/sim/prng.js';
import { arg, summary } from './lib/dataset.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
/** the JS heap and the typed arrays' backing stores (outside the heap; the store keeps ids and tombstones in them) */
const heap = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const targets = [100_000, arg('intents', 1_000_000)];
const rng = createRng(7);
const store = new ProjectionStore();
const start = Date.parse('2026-11-01T00:00:00.000Z');
const base = heap();
let events = 0;
const results: Record<string, number> = {};
for (const target of targets) {
  while (store.size < target) {
    // removalShare 0: every intent stays live, so the figure is per live projection
    const l = generateLifecycle(rng, start + store.size, { timeScale: 1, removalShare: 0 });
    // JSON round trip so strings are fresh, as when decoded from Kafka records
    for (const e of l.events) {
      const d = decodeValue(JSON.parse(JSON.stringify(e.event)));
      if (!d.ok) throw new Error(d.reason);
      store.apply(d.event);
      events++;
    }
    if (store.size % 100_000 === 0) process.stderr.write(`${store.size} intents, ${events} events\n`);
  }
  const used = heap() - base;
  results[`bytesPerIntentAt${target}`] = Math.round(used / store.size);
  process.stderr.write(`${store.size} intents: heap +${(used / 1048576).toFixed(1)} MiB, ${Math.round(used / store.size)} B/intent\n`);
}
const intents = store.size;
// then every intent removed: what remains is one tombstone per removed intent (refusing zombies)
const ids = [...store.projections()].map((p) => [p.intentId, p.updatedAt] as const);
let k = 0;
for (const [intentId, updatedAt] of ids) {
  const d = decodeValue({
    eventId: `removal-${k++}`,
    type: 'intent.removed',
    intentId,
    occurredAt: new Date(updatedAt + 1).toISOString(),
    data: {},
  });
  if (!d.ok) throw new Error(d.reason);
  store.apply(d.event);
}
ids.length = 0;
const tombstoneBytes = Math.round((heap() - base) / store.tombstones);
process.stderr.write(`${store.tombstones} tombstones: ${tombstoneBytes} B each\n`);
summary('memory', {
  intents,
  events,
  eventsPerIntent: Number((events / intents).toFixed(2)),
  ...results,
  bytesPerTombstone: tombstoneBytes,
  // goals of issue 14 (BENCHMARKS.md); settlement proofs (60 % of completed intents) and users are kept and counted
  goalBytesPerIntent: 600,
  goalBytesPerTombstone: 100,
});
