/**
 * What the store keeps per live intent: one mutable record, laid out for memory (~200 bytes plus
 * its strings instead of a 23-field projection, heap numbers, two arrays and a wrapper per
 * version). Only the fold (evolve.ts) writes it; everything outside src/reduce sees immutable
 * `Projection` views (`viewOf`), made on demand.
 *
 * - the three ranked dimensions and `submittedSeen` share one small integer (`bits`);
 * - times are milliseconds relative to `t0`, the occurredAt of the record's first event, so
 *   they stay small integers (no heap number per time) for intents younger than ~24 days;
 * - transaction hashes live in one packed string (`tx`, see `txGet` / `txSet`), user and
 *   settlement proof packed (pack.ts), solver / verifier / error texts shared (intern.ts);
 * - the de-duplication memory is one string (dedup.ts).
 */
import { unpack, unpackOrNull } from './pack.js';
import type { Projection, TxHashes, TxHashKey } from './projection.js';
import { HTLC_STATES, INTERNAL_STATUSES, PROOF_STATUSES, type HtlcState, type InternalStatus, type ProofStatus } from './status.js';
import { seenKeys, seenTimes } from './dedup.js';

export const STATUS_SHIFT = 0;
export const PROOF_SHIFT = 3;
export const HTLC_SHIFT = 6;
export const DIMENSION_MASK = 7;
export const SUBMITTED_SEEN = 1 << 9;

export class IntentRecord {
  bits = 0;
  version = 0;
  createdAt = 0;
  updatedAt = 0;
  matchedAt: number | null = null;
  completedAt: number | null = null;
  proofGeneratedAt: number | null = null;
  solver: string | null = null;
  fromChain: number | null = null;
  toChain: number | null = null;
  amount: string | null = null;
  /** packed `data.user` of intent.submitted */
  user: string | null = null;
  /** packed tx hash entries, in the order their keys were first set */
  tx = '';
  error: string | null = null;
  failureReason: string | null = null;
  /** packed proof of the latest settlement (greatest occurredAt) */
  proof: string | null = null;
  verifier: string | null = null;
  /** occurredAt of that settlement (relative) */
  proofAt: number | null = null;
  /** de-duplication entries (dedup.ts) */
  seen = '';
  /** relative; null until `seen` first overflowed */
  dedupHorizon: number | null = null;

  constructor(
    readonly intentId: string,
    /** absolute occurredAt of the first event: the base of every relative time */
    readonly t0: number,
    /** the cut-off of a previous life (no zombies), null on a first life */
    readonly removedAt: number | null,
  ) {}

  get status(): InternalStatus {
    return INTERNAL_STATUSES[(this.bits >>> STATUS_SHIFT) & DIMENSION_MASK]!;
  }
  get proofStatus(): ProofStatus {
    return PROOF_STATUSES[(this.bits >>> PROOF_SHIFT) & DIMENSION_MASK]!;
  }
  get htlcState(): HtlcState {
    return HTLC_STATES[(this.bits >>> HTLC_SHIFT) & DIMENSION_MASK]!;
  }
}

const abs = (r: IntentRecord, rel: number | null): number | null => (rel === null ? null : r.t0 + rel);

// ------------------------------------------------------------------------------------------------
// transaction hashes: entries [key index][payload length - 2][payload = pack(hash)]

export const TX_KEYS = [
  'sourceLock',
  'destinationLock',
  'destinationWithdraw',
  'sourceWithdraw',
  'sourceRefund',
  'destinationRefund',
] as const satisfies readonly TxHashKey[];
export type TxIndex = 0 | 1 | 2 | 3 | 4 | 5;

/** Where the entry of `key` starts in `tx`, or -1. */
function txFind(tx: string, key: TxIndex): number {
  for (let i = 0; i < tx.length; i += 2 + tx.charCodeAt(i + 1) + 2) if (tx.charCodeAt(i) === key) return i;
  return -1;
}

/** The packed hash of `key`, or undefined. */
export function txGet(tx: string, key: TxIndex): string | undefined {
  const i = txFind(tx, key);
  return i < 0 ? undefined : tx.slice(i + 2, i + 4 + tx.charCodeAt(i + 1));
}

/** `tx` with `key` set to `packed` (a value of `pack`), in place if the key is already there. */
export function txSet(tx: string, key: TxIndex, packed: string): string {
  const head = String.fromCharCode(key, packed.length - 2);
  const i = txFind(tx, key);
  if (i < 0) return [tx, head, packed].join('');
  return [tx.slice(0, i), head, packed, tx.slice(i + 4 + tx.charCodeAt(i + 1))].join('');
}

function txHashesOf(tx: string): TxHashes {
  const out: Record<string, string> = {};
  for (let i = 0; i < tx.length; ) {
    const end = i + 4 + tx.charCodeAt(i + 1);
    out[TX_KEYS[tx.charCodeAt(i)]!] = unpack(tx.slice(i + 2, end));
    i = end;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// views

/** The immutable projection of a record as it is now (a new object: take it before the next event). */
export function viewOf(r: IntentRecord): Projection {
  return {
    intentId: r.intentId,
    status: r.status,
    proofStatus: r.proofStatus,
    htlcState: r.htlcState,
    solver: r.solver,
    fromChain: r.fromChain,
    toChain: r.toChain,
    amount: r.amount,
    user: unpackOrNull(r.user),
    settlementProof: r.proof === null ? null : { proof: unpack(r.proof), verifier: r.verifier, generatedAt: r.t0 + r.proofAt! },
    createdAt: r.t0 + r.createdAt,
    submittedSeen: (r.bits & SUBMITTED_SEEN) !== 0,
    updatedAt: r.t0 + r.updatedAt,
    matchedAt: abs(r, r.matchedAt),
    completedAt: abs(r, r.completedAt),
    proofGeneratedAt: abs(r, r.proofGeneratedAt),
    txHashes: txHashesOf(r.tx),
    error: r.error,
    failureReason: r.failureReason,
    version: r.version,
    seen: seenKeys(r.seen),
    seenAt: seenTimes(r.seen, r.t0, r.t0 + r.updatedAt),
    dedupHorizon: abs(r, r.dedupHorizon),
  };
}
