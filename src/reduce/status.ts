/**
 * The status model of docs/contract.md § Status model: the three ranked dimensions of an intent and the
 * normalised frontend status derived from them.
 */

import type { FrontendStatus, HtlcState, InternalStatus, ProofStatus } from '../contract/status.js';

export type { FrontendStatus, HtlcState, InternalStatus, ProofStatus } from '../contract/status.js';
// the values too: the reducer packs the dimensions as indexes into them (record.ts)
export { FRONTEND_STATUSES, HTLC_STATES, INTERNAL_STATUSES, PROOF_STATUSES } from '../contract/status.js';

/** Ranks: equal numbers are the same rank (the final tier of each dimension). */
const STATUS_RANK: Readonly<Record<InternalStatus, number>> = {
  SUBMITTED: 0,
  MATCHED: 1,
  EXECUTING: 2,
  COMPLETED: 3,
  FAILED: 3,
  CANCELLED: 3,
};
const PROOF_RANK: Readonly<Record<ProofStatus, number>> = {
  pending: 0,
  generating: 1,
  generated: 2,
  verified: 3,
  failed: 3,
};
const HTLC_RANK: Readonly<Record<HtlcState, number>> = {
  none: 0,
  awaiting_source_lock: 1,
  source_locked: 2,
  destination_locked: 3,
  destination_withdrawn: 4,
  source_withdrawn: 5,
  refunded: 6,
};

export const statusRank = (s: InternalStatus): number => STATUS_RANK[s];
export const proofRank = (s: ProofStatus): number => PROOF_RANK[s];
export const htlcRank = (s: HtlcState): number => HTLC_RANK[s];

export const isFinalStatus = (s: InternalStatus): boolean => STATUS_RANK[s] === 3;
export const isFinalProof = (s: ProofStatus): boolean => PROOF_RANK[s] === 3;
export const isFinalHtlc = (s: HtlcState): boolean => s === 'refunded';

/**
 * How an event relates to the current value of one ranked dimension:
 * - `advance`: it ranks above; the value moves and the event's fields are set;
 * - `same`: same rank, not final; the value is set (a re-match) and fields are set;
 * - `stale`: it ranks below, or the current value is final; only missing fields fill in.
 */
export type Relation = 'advance' | 'same' | 'stale';

export function relate(currentRank: number, currentFinal: boolean, eventRank: number): Relation {
  if (currentFinal) return 'stale';
  if (eventRank > currentRank) return 'advance';
  if (eventRank === currentRank) return 'same';
  return 'stale';
}

/** The normalisation table of section 3, row by row. */
export function frontendStatus(status: InternalStatus, proofStatus: ProofStatus, htlcState: HtlcState): FrontendStatus {
  switch (status) {
    case 'SUBMITTED':
      return proofStatus === 'verified' ? 'proofs_verified' : 'proofs_pending';
    case 'MATCHED':
      return htlcState === 'awaiting_source_lock' ? 'waiting_for_source_lock' : 'matched';
    case 'EXECUTING':
      return 'executing';
    case 'COMPLETED':
      return 'completed';
    case 'FAILED':
      return 'failed';
    case 'CANCELLED':
      return 'cancelled';
    default:
      return assertNever(status);
  }
}

export function assertNever(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
