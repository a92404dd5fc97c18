/**
 * The status model's values (docs/contract.md § Status model): the three ranked dimensions of an
 * intent and the normalised frontend status. Part of the public contract, so it depends on nothing
 * else of ours; the reducer (src/reduce/status.ts) ranks and folds them.
 */

export const INTERNAL_STATUSES = ['SUBMITTED', 'MATCHED', 'EXECUTING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type InternalStatus = (typeof INTERNAL_STATUSES)[number];

export const PROOF_STATUSES = ['pending', 'generating', 'generated', 'verified', 'failed'] as const;
export type ProofStatus = (typeof PROOF_STATUSES)[number];

export const HTLC_STATES = [
  'none',
  'awaiting_source_lock',
  'source_locked',
  'destination_locked',
  'destination_withdrawn',
  'source_withdrawn',
  'refunded',
] as const;
export type HtlcState = (typeof HTLC_STATES)[number];

export const FRONTEND_STATUSES = [
  'proofs_pending',
  'proofs_verified',
  'matched',
  'waiting_for_source_lock',
  'executing',
  'completed',
  'failed',
  'cancelled',
] as const;
export type FrontendStatus = (typeof FRONTEND_STATUSES)[number];
