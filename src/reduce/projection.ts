/**
 * The projection of one intent (docs/contract.md § Status model) as the world outside the fold sees it:
 * an immutable view of the intent's record (record.ts `viewOf`), made on demand by the store
 * (`get`, `projections`) and by diffs. Times are epoch milliseconds (formatted as ISO-8601 only
 * when emitted).
 */
import type { HtlcState, InternalStatus, ProofStatus } from './status.js';

export interface TxHashes {
  readonly sourceLock?: string;
  readonly destinationLock?: string;
  readonly destinationWithdraw?: string;
  readonly sourceWithdraw?: string;
  readonly sourceRefund?: string;
  readonly destinationRefund?: string;
}
export type TxHashKey = keyof TxHashes;

/** The latest settlement proof of an intent (`proof.settlement_generated`). */
export interface SettlementProof {
  readonly proof: string;
  readonly verifier: string | null;
  /** occurredAt of the event that carried it */
  readonly generatedAt: number;
}

export interface Projection {
  readonly intentId: string;
  readonly status: InternalStatus;
  readonly proofStatus: ProofStatus;
  readonly htlcState: HtlcState;
  readonly solver: string | null;
  readonly fromChain: number | null;
  readonly toChain: number | null;
  readonly amount: string | null;
  /** `data.user` of `intent.submitted`; null until one carrying it is applied */
  readonly user: string | null;
  /** the settlement proof with the greatest generatedAt (the later one applied on a tie); null until one */
  readonly settlementProof: SettlementProof | null;
  /** occurredAt of `intent.submitted`; until it is seen, the earliest applied occurredAt. */
  readonly createdAt: number;
  readonly submittedSeen: boolean;
  /** greatest occurredAt applied */
  readonly updatedAt: number;
  readonly matchedAt: number | null;
  readonly completedAt: number | null;
  readonly proofGeneratedAt: number | null;
  /** only the keys seen; shared between versions until one changes */
  readonly txHashes: TxHashes;
  readonly error: string | null;
  readonly failureReason: string | null;
  /** applied events, 1, 2, ... */
  readonly version: number;
  /** de-duplication keys of the last applied events (see dedup.ts) */
  readonly seen: readonly number[];
  /** occurredAt of the same events, index for index */
  readonly seenAt: readonly number[];
  /**
   * null until `seen` first overflows; then the greatest occurredAt of a forgotten event: an
   * event at or before it whose key is not in `seen` is taken for a redelivery (see dedup.ts)
   */
  readonly dedupHorizon: number | null;
}

/** The state of one intentId as views: a live projection, or the tombstone of a removed one. */
export type IntentState =
  | { readonly kind: 'live'; readonly projection: Projection; readonly removedAt: number | null }
  | { readonly kind: 'removed'; readonly removedAt: number };

/** Fields compared to name what changed in a diff (status and proofStatus have their own entries). */
export const DIFF_FIELDS = [
  'htlcState',
  'solver',
  'fromChain',
  'toChain',
  'amount',
  'user',
  'settlementProof',
  'createdAt',
  'updatedAt',
  'matchedAt',
  'completedAt',
  'proofGeneratedAt',
  'txHashes',
  'error',
  'failureReason',
  'version',
] as const satisfies readonly (keyof Projection)[];
export type DiffField = (typeof DIFF_FIELDS)[number];

export const EMPTY_TX_HASHES: TxHashes = Object.freeze({});
