/**
 * Approximate heap size of one projection in the ProjectionStore (numbers in docs/reducer.md).
 *
 *   node --expose-gc --import tsx scripts/measure-projection-heap.ts [intents=100000]
 *
 * Each intent gets a realistic history, decoded from JSON record values exactly as the pipeline
 * does (so the strings are what the service really keeps), folded into one store; heapUsed is
 * measured after a full GC before and after. The records themselves are garbage by then.
 */
import { decodeRecord } from '../src/ingest/decode.js';
import { ProjectionStore } from '../src/reduce/store.js';
import { createRng, randomIntentId, uuid, wireEvent, type Rng } from '../test/support/histories.js';
import type { IntentEventInput } from '../src/contract/events.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('run with: node --expose-gc --import tsx scripts/measure-projection-heap.ts\n');
  process.exit(1);
}

const N = Number(process.argv[2] ?? 100_000);
const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const hex = (rng: Rng, n: number): string => `0x${rng.hex(n)}`;

/** In flight, 8 events: submitted, 4 proof steps, matched, lock requested, source locked. */
function inFlight(rng: Rng, intentId: string, t: number): IntentEventInput[] {
  const e = <T extends IntentEventInput['type']>(type: T, dt: number, data?: unknown): IntentEventInput =>
    wireEvent(type, { intentId, at: t + dt, eventId: uuid(rng), data: data as never });
  return [
    e('intent.submitted', 0, { fromChain: 1, toChain: 8453, amount: String(rng.int(1, 1e9)), user: hex(rng, 40), deadline: 1_900_000_000 }),
    e('proof.requested', 100),
    e('proof.generating', 200),
    e('proof.generated', 300),
    e('proof.verified', 400),
    e('intent.matched', 500, { solver: hex(rng, 40) }),
    e('intent.source_lock_requested', 600),
    e('intent.source_locked', 700, { txHash: hex(rng, 64) }),
  ];
}

/** Completed, 12 events: the above plus destination lock/withdraw, completed, settlement proof. */
function done(rng: Rng, intentId: string, t: number): IntentEventInput[] {
  const e = <T extends IntentEventInput['type']>(type: T, dt: number, data?: unknown): IntentEventInput =>
    wireEvent(type, { intentId, at: t + dt, eventId: uuid(rng), data: data as never });
  return [
    ...inFlight(rng, intentId, t),
    e('intent.destination_locked', 800, { txHash: hex(rng, 64) }),
    e('intent.destination_withdrawn', 900, { txHash: hex(rng, 64) }),
    e('intent.completed', 1000, { txHash: hex(rng, 64) }),
    e('proof.settlement_generated', 1100, { proof: hex(rng, 512) }),
  ];
}

function measure(name: string, history: (rng: Rng, id: string, t: number) => IntentEventInput[]): void {
  const rng = createRng(42);
  gc!();
  gc!();
  const before = process.memoryUsage().heapUsed;
  const store = new ProjectionStore();
  let events = 0;
  for (let i = 0; i < N; i++) {
    for (const wire of history(rng, randomIntentId(rng), T0 + i * 10)) {
      const d = decodeRecord({ value: Buffer.from(JSON.stringify(wire)) });
      if (!d.ok) throw new Error(d.reason);
      store.apply(d.event);
      events++;
    }
  }
  gc!();
  gc!();
  const after = process.memoryUsage().heapUsed;
  const perIntent = (after - before) / store.size;
  // tombstones: remove every intent and measure again
  const ids = [...store.projections()].map((p) => p.intentId);
  for (const id of ids) {
    const d = decodeRecord({ value: JSON.stringify(wireEvent('intent.removed', { intentId: id, at: T0 + 1e9, eventId: uuid(rng) })) });
    if (d.ok) store.apply(d.event);
  }
  ids.length = 0;
  gc!();
  gc!();
  const afterRemoval = process.memoryUsage().heapUsed;
  const perTombstone = (afterRemoval - before) / store.tombstones;
  process.stdout.write(
    `${name}: ${store.tombstones} intents, ${events} events; ` +
      `heap ${((after - before) / 1048576).toFixed(1)} MiB live = ${Math.round(perIntent)} B/projection; ` +
      `after removing all: ${((afterRemoval - before) / 1048576).toFixed(1)} MiB = ${Math.round(perTombstone)} B/tombstone\n`,
  );
}

measure('in flight (8 events)', inFlight);
measure('completed (12 events)', done);
