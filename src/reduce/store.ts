/**
 * The fold over all intents: one `IntentState` per intentId and the running stats.
 * `apply(event)` is deterministic (no clock, I/O or randomness): the same events in the same
 * order always give the same projections and diffs. It is the only place state is replaced.
 *
 * Tombstones of removed intents are dropped once they are older than `tombstoneRetentionMs` in
 * event time (the greatest occurredAt applied so far), in the order they were made: a tombstone
 * only refuses replays of the removed intent's older records, and records older than the topics'
 * retention are no longer replayed. Memory for removed intents is thus bounded by the removals
 * within the retention window.
 */
import type { IntentEvent } from '../contract/events.js';
import type { Diff } from './diff.js';
import { evolve } from './evolve.js';
import type { IntentState, Projection } from './projection.js';
import { applyToStats, emptyStats, type MempoolStats } from './stats.js';

export interface StoreOptions {
  /** event time a tombstone is kept after the removal; Infinity keeps them all (default) */
  readonly tombstoneRetentionMs?: number;
}

export class ProjectionStore {
  private readonly states = new Map<string, IntentState>();
  private readonly counts: MempoolStats = emptyStats();
  /** tombstones in the order they were made: intentId → removedAt */
  private readonly tombstoneQueue = new Map<string, number>();
  private readonly retention: number;
  /** greatest occurredAt applied */
  private watermark = Number.NEGATIVE_INFINITY;
  private live = 0;
  private applied = 0;

  constructor(opts: StoreOptions = {}) {
    this.retention = opts.tombstoneRetentionMs ?? Number.POSITIVE_INFINITY;
  }

  /** Folds one event; returns what changed, or null when the event changed nothing. */
  apply(event: IntentEvent): Diff | null {
    const id = event.intentId;
    const result = evolve(this.states.get(id), event);
    if (result === null) return null;
    this.states.set(id, result.state);
    this.applied++;
    if (result.state.kind === 'removed') {
      this.tombstoneQueue.delete(id); // re-queued at the back
      this.tombstoneQueue.set(id, result.state.removedAt);
    }
    if (event.occurredAt > this.watermark) {
      this.watermark = event.occurredAt;
      if (this.tombstoneQueue.size > 0) this.pruneTombstones();
    }
    const diff = result.diff;
    if (diff !== null) {
      applyToStats(this.counts, diff);
      if (diff.kind === 'created') this.live++;
      else if (diff.kind === 'removed') this.live--;
    }
    return diff;
  }

  /** Drops the oldest tombstones that fell out of the retention window (amortised O(1)). */
  private pruneTombstones(): void {
    const horizon = this.watermark - this.retention;
    for (const [id, removedAt] of this.tombstoneQueue) {
      if (removedAt >= horizon) return;
      this.tombstoneQueue.delete(id);
      if (this.states.get(id)?.kind === 'removed') this.states.delete(id);
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
