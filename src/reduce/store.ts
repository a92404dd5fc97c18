/**
 * The fold over all intents: one `IntentState` per intentId and the running stats.
 * `apply(event)` is deterministic (no clock, I/O or randomness): the same events in the same
 * order always give the same projections and diffs. It is the only place state is replaced.
 *
 * `pruneTombstones()` drops the tombstones of removed intents that are older than
 * `tombstoneRetentionMs` in event time, oldest first. Event time is the *smaller* of the two
 * topics' greatest occurredAt applied, so one topic running ahead (or one future-dated record)
 * cannot drop a tombstone the other topic's records still need. The pipeline calls it once per
 * batch after catch-up. Memory for removed intents is thus bounded by the removals within the
 * retention window.
 *
 * `exportImage()` / `ProjectionStore.restore(image)` are the snapshot API (src/snapshot/codec.ts):
 * the whole fold state as plain data, and a store rebuilt from it that folds on exactly as the
 * original would. The image is a view, not a copy: encode it before applying more events.
 */
import type { IntentEvent } from '../contract/events.js';
import type { Diff } from './diff.js';
import { evolve } from './evolve.js';
import type { IntentState, Projection } from './projection.js';
import { applyToStats, COUNTER_OF, emptyStats, type MempoolStats } from './stats.js';

export interface StoreOptions {
  /** event time a tombstone is kept after the removal; Infinity keeps them all (default) */
  readonly tombstoneRetentionMs?: number;
}

/** Everything the fold carries from one event to the next (the running counts are derived). */
export interface StoreImage {
  /** live projections and tombstones, one entry per intentId */
  readonly states: Iterable<readonly [string, IntentState]>;
  /** tombstones not yet pruned, oldest first */
  readonly tombstoneQueue: Iterable<TombstoneEntry>;
  readonly lifecycleTime: number;
  readonly proofTime: number;
  readonly eventsApplied: number;
}

export interface TombstoneEntry {
  readonly intentId: string;
  readonly removedAt: number;
}

export class ProjectionStore {
  private readonly states = new Map<string, IntentState>();
  private readonly counts: MempoolStats = emptyStats();
  /** tombstones in the order they were made; entries before `queueHead` are done */
  private readonly tombstoneQueue: TombstoneEntry[] = [];
  private queueHead = 0;
  private readonly retention: number;
  /** greatest occurredAt applied, per topic family (intent.* / proof.*) */
  private lifecycleTime = Number.NEGATIVE_INFINITY;
  private proofTime = Number.NEGATIVE_INFINITY;
  private live = 0;
  private applied = 0;

  constructor(opts: StoreOptions = {}) {
    this.retention = opts.tombstoneRetentionMs ?? Number.POSITIVE_INFINITY;
  }

  /** A store in the state `image` describes; the running counts are recounted from it. */
  static restore(image: StoreImage, opts: StoreOptions = {}): ProjectionStore {
    const store = new ProjectionStore(opts);
    for (const [id, state] of image.states) {
      store.states.set(id, state);
      if (state.kind === 'live') {
        store.live++;
        store.counts[COUNTER_OF[state.projection.status]]++;
        store.counts.total++;
      }
    }
    for (const entry of image.tombstoneQueue) store.tombstoneQueue.push(entry);
    store.lifecycleTime = image.lifecycleTime;
    store.proofTime = image.proofTime;
    store.applied = image.eventsApplied;
    return store;
  }

  /** The fold state as plain data (a view: encode it before the next `apply`). */
  exportImage(): StoreImage {
    return {
      states: this.states.entries(),
      tombstoneQueue: this.tombstoneQueue.slice(this.queueHead),
      lifecycleTime: this.lifecycleTime,
      proofTime: this.proofTime,
      eventsApplied: this.applied,
    };
  }

  /** Folds one event; returns what changed, or null when the event changed nothing. */
  apply(event: IntentEvent): Diff | null {
    const id = event.intentId;
    const result = evolve(this.states.get(id), event);
    if (result === null) return null;
    this.states.set(id, result.state);
    this.applied++;
    if (result.state.kind === 'removed' && this.retention !== Number.POSITIVE_INFINITY) {
      this.tombstoneQueue.push({ intentId: id, removedAt: result.state.removedAt });
    }
    if (event.type.startsWith('proof.')) {
      if (event.occurredAt > this.proofTime) this.proofTime = event.occurredAt;
    } else if (event.occurredAt > this.lifecycleTime) this.lifecycleTime = event.occurredAt;
    const diff = result.diff;
    if (diff !== null) {
      applyToStats(this.counts, diff);
      if (diff.kind === 'created') this.live++;
      else if (diff.kind === 'removed') this.live--;
    }
    return diff;
  }

  /**
   * Drops the tombstones that fell out of the retention window, oldest first (amortised O(1) per
   * tombstone). A tombstone is dropped only if it is still the intent's state: an intent alive
   * again, or removed again later, keeps its state.
   */
  pruneTombstones(): void {
    const horizon = Math.min(this.lifecycleTime, this.proofTime) - this.retention;
    const q = this.tombstoneQueue;
    while (this.queueHead < q.length) {
      const { intentId, removedAt } = q[this.queueHead]!;
      if (removedAt >= horizon) break;
      this.queueHead++;
      const s = this.states.get(intentId);
      if (s?.kind === 'removed' && s.removedAt === removedAt) this.states.delete(intentId);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > q.length) {
      q.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Folds many events, calling `onDiff` for each change in order. */
  applyAll(events: Iterable<IntentEvent>, onDiff?: (diff: Diff) => void): void {
    for (const e of events) {
      const d = this.apply(e);
      if (d !== null && onDiff !== undefined) onDiff(d);
    }
  }

  get(intentId: string): Projection | undefined {
    const s = this.states.get(intentId);
    return s?.kind === 'live' ? s.projection : undefined;
  }

  *projections(): IterableIterator<Projection> {
    for (const s of this.states.values()) if (s.kind === 'live') yield s.projection;
  }

  /** Live projections. */
  get size(): number {
    return this.live;
  }

  /** Events that changed state (duplicates and zombie events excluded). */
  get eventsApplied(): number {
    return this.applied;
  }

  /** Removed intents remembered to refuse zombies (one small entry each). */
  get tombstones(): number {
    return this.states.size - this.live;
  }

  /** A copy of the current counts. */
  stats(): MempoolStats {
    return { ...this.counts };
  }
}
