/**
 * The fold over all intents: one `IntentState` per intentId and the running stats.
 * `apply(event)` is deterministic (no clock, I/O or randomness): the same events in the same
 * order always give the same projections and diffs. It is the only place state is replaced.
 */
import type { IntentEvent } from '../contract/events.js';
import type { Diff } from './diff.js';
import { evolve } from './evolve.js';
import type { IntentState, Projection } from './projection.js';
import { applyToStats, emptyStats, type MempoolStats } from './stats.js';

export class ProjectionStore {
  private readonly states = new Map<string, IntentState>();
  private readonly counts: MempoolStats = emptyStats();
  private live = 0;
  private applied = 0;

  /** Folds one event; returns what changed, or null when the event changed nothing. */
  apply(event: IntentEvent): Diff | null {
    const id = event.intentId;
    const result = evolve(this.states.get(id), event);
    if (result === null) return null;
    this.states.set(id, result.state);
    this.applied++;
    const diff = result.diff;
    if (diff !== null) {
      applyToStats(this.counts, diff);
      if (diff.kind === 'created') this.live++;
      else if (diff.kind === 'removed') this.live--;
    }
    return diff;
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
