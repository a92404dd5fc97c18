/**
 * The fold of one intent: `evolve(state, event) → { state, diff } | null`, pure and total.
 * No clock, no I/O, no randomness; time is the event's `occurredAt`. Never throws on a decoded event.
 *
 * Rules (contract.md section 3), each dimension on its own:
 * - internal status, proof status and htlcState only move up their rank (status.ts `relate`);
 * - an event of the same rank sets its fields, a stale one (lower rank, or the dimension is final)
 *   only fills in fields that are still unset;
 * - an `eventId` already applied to the intent is a duplicate: `null`, nothing changes;
 * - after `intent.removed`, events at or before the removal time are ignored (`null`); a later one
 *   starts a new projection.
 */
import type { EventOf, IntentEvent } from '../contract/events.js';
import type { Diff } from './diff.js';
import { eventKey, MAX_REMEMBERED_EVENTS, remember } from './dedup.js';
import {
  DIFF_FIELDS,
  EMPTY_TX_HASHES,
  type DiffField,
  type IntentState,
  type Projection,
  type SettlementProof,
  type TxHashKey,
} from './projection.js';
import {
  assertNever,
  htlcRank,
  isFinalHtlc,
  isFinalProof,
  isFinalStatus,
  proofRank,
  relate,
  statusRank,
  type HtlcState,
  type InternalStatus,
  type ProofStatus,
  type Relation,
} from './status.js';

export interface Evolved {
  readonly state: IntentState;
  /** null when the state changed without anything to announce (a removal of an unknown intent) */
  readonly diff: Diff | null;
}

type Draft = { -readonly [K in keyof Projection]: Projection[K] };

/** The projection an intent starts from when its first event arrives, whatever that event is. */
export function initialProjection(intentId: string, occurredAt: number): Projection {
  return {
    intentId,
    status: 'SUBMITTED',
    proofStatus: 'pending',
    htlcState: 'none',
    solver: null,
    fromChain: null,
    toChain: null,
    amount: null,
    user: null,
    settlementProof: null,
    createdAt: occurredAt,
    submittedSeen: false,
    updatedAt: occurredAt,
    matchedAt: null,
    completedAt: null,
    proofGeneratedAt: null,
    txHashes: EMPTY_TX_HASHES,
    error: null,
    failureReason: null,
    version: 0,
    seen: [],
    seenAt: [],
    dedupHorizon: null,
  };
}

export function evolve(state: IntentState | undefined, event: IntentEvent): Evolved | null {
  const at = event.occurredAt;
  const removedAt = state === undefined ? null : state.removedAt;
  if (removedAt !== null && at <= removedAt) return null; // no zombies

  const live = state?.kind === 'live' ? state.projection : undefined;
  const key = eventKey(event.eventId);
  // (a removal is never remembered: its redelivery is refused by the no-zombies check above)
  if (live !== undefined && event.type !== 'intent.removed' && isRedelivery(live, key, at)) return null; // duplicate

  if (event.type === 'intent.removed') {
    const tombstone: IntentState = { kind: 'removed', removedAt: Math.max(at, removedAt ?? at) };
    if (live === undefined) return { state: tombstone, diff: null };
    return { state: tombstone, diff: { kind: 'removed', intentId: live.intentId, previous: live, removedAt: at } };
  }

  const previous = live ?? initialProjection(event.intentId, at);
  const draft: Draft = { ...previous };
  draft.version = previous.version + 1;
  draft.updatedAt = Math.max(previous.updatedAt, at);
  if (!previous.submittedSeen && at < previous.createdAt) draft.createdAt = at;
  draft.seen = remember(previous.seen, key);
  draft.seenAt = remember(previous.seenAt, at);
  if (previous.seen.length >= MAX_REMEMBERED_EVENTS) {
    // the oldest remembered event is forgotten now: the horizon covers its time
    draft.dedupHorizon = Math.max(previous.dedupHorizon ?? Number.NEGATIVE_INFINITY, previous.seenAt[0]!);
  }
  const settlement = apply(draft, event);

  const next: Projection = draft;
  const nextState: IntentState = { kind: 'live', projection: next, removedAt };
  const proof = next.proofStatus !== previous.proofStatus ? { from: previous.proofStatus, to: next.proofStatus } : null;
  const fields = changedFields(previous, next, live === undefined);
  if (live === undefined) {
    return { state: nextState, diff: { kind: 'created', intentId: next.intentId, projection: next, proof, settlement, fields } };
  }
  const status = next.status !== live.status ? { from: live.status, to: next.status } : null;
  return {
    state: nextState,
    diff: { kind: 'updated', intentId: next.intentId, projection: next, status, proof, settlement, fields },
  };
}

/** Applied before: remembered, or older than what the intent had applied when it began forgetting. */
function isRedelivery(p: Projection, key: number, at: number): boolean {
  return p.seen.includes(key) || (p.dedupHorizon !== null && at <= p.dedupHorizon);
}

function changedFields(prev: Projection, next: Projection, created: boolean): DiffField[] {
  const out: DiffField[] = [];
  for (const f of DIFF_FIELDS) if (created || prev[f] !== next[f]) out.push(f);
  return out;
}

/** Applies one (non-removal) event to the draft; returns the settlement proof it carried, if any. */
function apply(d: Draft, e: Exclude<IntentEvent, EventOf<'intent.removed'>>): SettlementProof | null {
  switch (e.type) {
    case 'intent.submitted': {
      const rel = toStatus(d, 'SUBMITTED');
      set(d, 'fromChain', e.data.fromChain, rel);
      set(d, 'toChain', e.data.toChain, rel);
      set(d, 'amount', e.data.amount, rel);
      if (e.data.user !== undefined) set(d, 'user', e.data.user, rel);
      if (!d.submittedSeen) {
        d.createdAt = e.occurredAt;
        d.submittedSeen = true;
      }
      return null;
    }
    case 'intent.matched': {
      const rel = toStatus(d, 'MATCHED');
      set(d, 'solver', e.data.solver, rel);
      set(d, 'matchedAt', e.occurredAt, rel);
      return null;
    }
    case 'intent.source_lock_requested':
      toHtlc(d, 'awaiting_source_lock');
      return null;
    case 'intent.source_locked':
      toStatus(d, 'EXECUTING');
      setTx(d, 'sourceLock', e.data.txHash, toHtlc(d, 'source_locked'));
      return null;
    case 'intent.destination_locked':
      setTx(d, 'destinationLock', e.data.txHash, toHtlc(d, 'destination_locked'));
      return null;
    case 'intent.destination_withdrawn':
      setTx(d, 'destinationWithdraw', e.data.txHash, toHtlc(d, 'destination_withdrawn'));
      return null;
    case 'intent.completed': {
      const rel = toStatus(d, 'COMPLETED');
      set(d, 'completedAt', e.occurredAt, rel);
      const htlc = toHtlc(d, 'source_withdrawn');
      if (e.data.txHash !== undefined) setTx(d, 'sourceWithdraw', e.data.txHash, htlc);
      return null;
    }
    case 'intent.refunded': {
      const rel = toHtlc(d, 'refunded');
      setTx(d, e.data.side === 'source' ? 'sourceRefund' : 'destinationRefund', e.data.txHash, rel);
      return null;
    }
    case 'intent.failed': {
      const rel = toStatus(d, 'FAILED');
      set(d, 'error', e.data.error, rel);
      set(d, 'failureReason', e.data.failureReason, rel);
      return null;
    }
    case 'intent.cancelled': {
      const rel = toStatus(d, 'CANCELLED');
      if (e.data.reason !== undefined) set(d, 'failureReason', e.data.reason, rel);
      return null;
    }
    case 'proof.requested':
      toProof(d, 'pending');
      return null;
    case 'proof.generating':
      toProof(d, 'generating');
      return null;
    case 'proof.generated':
      set(d, 'proofGeneratedAt', e.data.proofGeneratedAt ?? e.occurredAt, toProof(d, 'generated'));
      return null;
    case 'proof.verified':
      toProof(d, 'verified');
      return null;
    case 'proof.failed':
      toProof(d, 'failed');
      return null;
    case 'proof.settlement_generated': {
      // the latest one is kept: an older one (in event time) changes nothing but version/updatedAt
      const current = d.settlementProof;
      if (current !== null && e.occurredAt < current.generatedAt) return null;
      const proof: SettlementProof = { proof: e.data.proof, verifier: e.data.verifier ?? null, generatedAt: e.occurredAt };
      d.settlementProof = proof;
      return proof;
    }
    default:
      return assertNever(e);
  }
}

/** One ranked dimension of the projection: which field holds it and how its values rank. */
interface Dimension<T> {
  readonly field: 'status' | 'proofStatus' | 'htlcState';
  readonly rank: (value: T) => number;
  readonly isFinal: (value: T) => boolean;
}
const STATUS: Dimension<InternalStatus> = { field: 'status', rank: statusRank, isFinal: isFinalStatus };
const PROOF: Dimension<ProofStatus> = { field: 'proofStatus', rank: proofRank, isFinal: isFinalProof };
const HTLC: Dimension<HtlcState> = { field: 'htlcState', rank: htlcRank, isFinal: isFinalHtlc };

/** Moves a dimension towards `target` if it ranks higher (or the same, not final); says how the event relates. */
function advance<T>(d: Draft, dim: Dimension<T>, target: T): Relation {
  const current = d[dim.field] as T;
  const rel = relate(dim.rank(current), dim.isFinal(current), dim.rank(target));
  if (rel !== 'stale') (d as Record<Dimension<T>['field'], unknown>)[dim.field] = target;
  return rel;
}

const toStatus = (d: Draft, target: InternalStatus): Relation => advance(d, STATUS, target);
const toProof = (d: Draft, target: ProofStatus): Relation => advance(d, PROOF, target);
const toHtlc = (d: Draft, target: HtlcState): Relation => advance(d, HTLC, target);

type NullableField =
  | 'solver'
  | 'fromChain'
  | 'toChain'
  | 'amount'
  | 'user'
  | 'matchedAt'
  | 'completedAt'
  | 'proofGeneratedAt'
  | 'error'
  | 'failureReason';

/** Sets a field, or on a stale event only fills it in when still unset. */
function set<K extends NullableField>(d: Draft, field: K, value: NonNullable<Draft[K]>, rel: Relation): void {
  if (rel !== 'stale' || d[field] === null) d[field] = value;
}

function setTx(d: Draft, key: TxHashKey, hash: string, rel: Relation): void {
  const current = d.txHashes[key];
  if (current === hash || (rel === 'stale' && current !== undefined)) return;
  d.txHashes = { ...d.txHashes, [key]: hash };
}
