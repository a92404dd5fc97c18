/**
 * `mempool:stats`: current projections counted by internal status. The store keeps the counts up
 * to date as it folds (store.ts `step`: O(1) per event, from the record's status before and after),
 * never by scanning the projections.
 */
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

/** A recount from scratch, for tests and consistency checks. */
export function countStats(projections: Iterable<{ status: InternalStatus }>): MempoolStats {
  const s = emptyStats();
  for (const p of projections) {
    s[COUNTER_OF[p.status]]++;
    s.total++;
  }
  return s;
}
