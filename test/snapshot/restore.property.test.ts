/**
 * A snapshot at any cut point, restored, then folded on, is the store a single pass gives:
 * the same states (projections, tombstones, de-duplication keys and horizons), tombstone queue,
 * stats and event count; redeliveries of anything before the cut are refused by both; and every
 * diff after the cut (hence every emission) is the same. The snapshot goes through the real bytes:
 * codec (the records field for field), envelope (chunks, checksum) and back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IntentEvent } from '../../src/contract/events.js';
import { emissionsFor } from '../../src/fanout/emissions.js';
import type { Diff } from '../../src/reduce/diff.js';
import { ProjectionStore, type StoreOptions } from '../../src/reduce/store.js';
import { REDUCER_VERSION } from '../../src/reduce/version.js';
import { decodeImage, encodeImage } from '../../src/snapshot/codec.js';
import { openSnapshot, sealSnapshot } from '../../src/snapshot/envelope.js';
import { anyWireEventArb, decodeAll, decodeEvent, historyArb, interleavingArb, redeliveriesArb } from '../support/histories.js';

const RUNS = 100;

async function roundTrip(store: ProjectionStore, opts: StoreOptions): Promise<ProjectionStore> {
  const image = encodeImage(store.exportRecords());
  const sealed = await sealSnapshot(
    {
      id: 'test',
      createdAt: 0,
      reducer: REDUCER_VERSION,
      topics: { lifecycle: 'l', proofs: 'p' },
      positions: [],
      intents: store.size,
      tombstones: store.tombstones,
      eventsApplied: store.eventsApplied,
      stats: store.stats(),
    },
    image,
    1024, // small chunks: many per snapshot
  );
  const bytes = await openSnapshot(sealed.header, sealed.chunks, sealed.trailer);
  return ProjectionStore.fromRecords(decodeImage(bytes), opts);
}

function stateOf(store: ProjectionStore) {
  const image = store.exportImage();
  const states = [...image.states].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    states,
    queue: [...image.tombstoneQueue],
    lifecycleTime: image.lifecycleTime,
    proofTime: image.proofTime,
    eventsApplied: store.eventsApplied,
    size: store.size,
    tombstones: store.tombstones,
    stats: store.stats(),
  };
}

/** Folds `events` into `store`, pruning tombstones every `pruneEvery` events (as the live pipeline does per batch). */
function foldFrom(store: ProjectionStore, events: readonly IntentEvent[], start: number, pruneEvery: number): (Diff | null)[] {
  const diffs: (Diff | null)[] = [];
  for (let i = start; i < events.length; i++) {
    diffs.push(store.apply(events[i]!));
    if ((i + 1) % pruneEvery === 0) store.pruneTombstones();
  }
  return diffs;
}

/** What the restored snapshots held, to show the properties exercise it. */
const coverage = { horizons: 0, tombstones: 0 };

interface Case {
  events: IntentEvent[];
  cut: number;
  pruneEvery: number;
  retention: number;
  redeliveries: number[];
}

async function check({ events, cut, pruneEvery, retention, redeliveries }: Case): Promise<void> {
  const opts: StoreOptions = { tombstoneRetentionMs: retention };
  const onePass = new ProjectionStore(opts);
  const all = foldFrom(onePass, events, 0, pruneEvery);

  const head = new ProjectionStore(opts);
  foldFrom(head, events.slice(0, cut), 0, pruneEvery);
  const restored = await roundTrip(head, opts);
  for (const p of restored.projections()) if (p.dedupHorizon !== null) coverage.horizons++;
  if (restored.tombstones > 0) coverage.tombstones++;
  expect(stateOf(restored)).toEqual(stateOf(head));
  // the tail: same diffs, so the same emissions, and the same final state
  const tail = foldFrom(restored, events, cut, pruneEvery);
  expect(tail).toEqual(all.slice(cut));
  expect(tail.map((d) => (d === null ? [] : emissionsFor(d, 0)))).toEqual(
    all.slice(cut).map((d) => (d === null ? [] : emissionsFor(d, 0))),
  );
  expect(stateOf(restored)).toEqual(stateOf(onePass));
  // redeliveries of events before the cut: refused (or not) alike
  for (const i of redeliveries) {
    const e = events[Math.min(i, Math.max(0, cut - 1))];
    if (e === undefined) continue;
    const a = onePass.apply(e);
    const b = restored.apply(e);
    expect(b).toEqual(a);
  }
  expect(stateOf(restored)).toEqual(stateOf(onePass));
}

const caseOf = (events: fc.Arbitrary<IntentEvent[]>): fc.Arbitrary<Case> =>
  events.chain((evs) =>
    fc.record({
      events: fc.constant(evs),
      cut: fc.integer({ min: 0, max: evs.length }),
      pruneEvery: fc.integer({ min: 1, max: 50 }),
      retention: fc.constantFrom(0, 5_000, 60_000, 3_600_000),
      redeliveries: fc.array(fc.nat({ max: Math.max(0, evs.length - 1) }), { maxLength: 20 }),
    }),
  );

/** Any events of two intents, mostly without removals, so lives last longer than the remembered keys. */
const arbitrary: fc.Arbitrary<IntentEvent[]> = fc
  .array(anyWireEventArb({ intents: 2, eventIds: 400, seconds: 600 }), { minLength: 1, maxLength: 600, size: 'max' })
  .map((ws) => ws.map(decodeEvent).filter((e, i) => e.type !== 'intent.removed' || i % 97 === 0));

describe('snapshot at any cut, restored, folds on like one pass', () => {
  it('over realistic histories (both topics interleaved, redeliveries, removals, truncations)', async () => {
    const realistic = historyArb({ maxIntents: 15, truncateRate: 0.15, mixedCaseIds: true })
      .chain((h) => fc.tuple(redeliveriesArb(h.lifecycle, 10), redeliveriesArb(h.proof, 10)))
      .chain(([l, p]) => interleavingArb(decodeAll(l), decodeAll(p)));
    await fc.assert(fc.asyncProperty(caseOf(realistic), check), { numRuns: RUNS });
  });

  it('over arbitrary events on few intents (long lives: forgotten keys and de-duplication horizons)', async () => {
    await fc.assert(fc.asyncProperty(caseOf(arbitrary), check), { numRuns: RUNS });
  });

  it('the arbitrary histories really restore forgotten keys and horizons', () => {
    expect(coverage.horizons).toBeGreaterThan(0);
    expect(coverage.tombstones).toBeGreaterThan(0);
  });
});
