/**
 * `mempool:stats`: current projections counted by internal status, kept up to date from diffs
 * (O(1) per diff), never by scanning the projections.
 */
import type { Diff } from './diff.js';
import type { InternalStatus } from './status.js';

export interface MempoolStats {
  total: number;
  submitted: number;
  matched: number;
  executing: number;
  completed: number;
  failed: number;
  cancelled: number;
}

type Counter = Exclude<keyof MempoolStats, 'total'>;

/** The count each internal status is counted in. */
export const COUNTER_OF: Readonly<Record<InternalStatus, Counter>> = {
  SUBMITTED: 'submitted',
  MATCHED: 'matched',
  EXECUTING: 'executing',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

export function emptyStats(): MempoolStats {
  return { total: 0, submitted: 0, matched: 0, executing: 0, completed: 0, failed: 0, cancelled: 0 };
}

/** Updates `stats` in place from one diff; returns whether any count changed. */
export function applyToStats(stats: MempoolStats, diff: Diff): boolean {
  switch (diff.kind) {
    case 'created':
      stats[COUNTER_OF[diff.statusAfter]]++;
      stats.total++;
      return true;
    case 'updated':
      if (diff.status === null) return false;
      stats[COUNTER_OF[diff.status.from]]--;
      stats[COUNTER_OF[diff.status.to]]++;
      return true;
    case 'removed':
      stats[COUNTER_OF[diff.statusBefore]]--;
      stats.total--;
      return true;
    default: {
      const never: never = diff;
      throw new Error(`unknown diff ${JSON.stringify(never)}`);
    }
  }
}

/** A recount from scratch, for tests and consistency checks. */
export function countStats(projections: Iterable<{ status: InternalStatus }>): MempoolStats {
  const s = emptyStats();
  for (const p of projections) {
    s[COUNTER_OF[p.status]]++;
    s.total++;
  }
  return s;
}
