/**
 * The fold of one intent: `evolve(record, event, key, created, strings)` applies one
 * (non-removal, non-duplicate) event to the intent's record and returns the diff naming what
 * changed. Deterministic and total: no clock, no I/O, no randomness; time is the event's
 * `occurredAt`. Never throws on a decoded event. Duplicates, zombies and removals are decided by
 * the store (store.ts) before it calls this.
 *
 * The record is updated in place (no copy per event): the diff says what changed (a bit per
 * field) and gives the projection as it is after the event, which fan-out reads right away.
 *
 * Rules (docs/contract.md § Folding rules), each dimension on its own:
 * - internal status, proof status and htlcState only move up their rank (status.ts `relate`);
 * - an event of the same rank sets its fields, a stale one (lower rank, or the dimension is final)
 *   only fills in fields that are still unset;
 * - an `eventId` already applied to the intent is a duplicate (dedup.ts);
 * - after `intent.removed`, events at or before the removal time are ignored; a later one starts
 *   a new projection.
 */
import type { EventOf, IntentEvent } from '../contract/events.js';
import { type Change, CreatedDiff, fieldBit, UpdatedDiff, type SettlementProof } from './diff.js';
import { MAX_REMEMBERED_EVENTS, UNKNOWN_TIME } from './dedup.js';
import { countOf, type DedupArena } from './dedup-arena.js';
import type { Interner } from './intern.js';
import { pack } from './pack.js';
import {
  DIMENSION_MASK,
  HTLC_SHIFT,
  PROOF_SHIFT,
  STATUS_SHIFT,
  SUBMITTED_SEEN,
  AMOUNT,
  type BlobKey,
  blobDelete,
  blobGet,
  blobSet,
  type IntentRecord,
  MAX_STATE,
  MAX_VERSION,
  PROOF as PROOF_TEXT,
  small,
  USER,
  VERIFIER,
  VERSION_UNIT,
} from './record.js';
import {
  assertNever,
  HTLC_STATES,
  htlcRank,
  INTERNAL_STATUSES,
  isFinalHtlc,
  isFinalProof,
  isFinalStatus,
  PROOF_STATUSES,
  proofRank,
  statusRank,
} from './status.js';

type NonRemoval = Exclude<IntentEvent, EventOf<'intent.removed'>>;

// relations, as numbers (status.ts `Relation`: advance / same / stale)
const ADVANCE = 0;
const SAME = 1;
const STALE = 2;
type Rel = typeof ADVANCE | typeof SAME | typeof STALE;

/** One ranked dimension by value index: its shift in `bits`, ranks and finality. */
interface Dimension {
  readonly shift: number;
  readonly rank: readonly number[];
  readonly final: readonly boolean[];
}
const STATUS: Dimension = {
  shift: STATUS_SHIFT,
  rank: INTERNAL_STATUSES.map(statusRank),
  final: INTERNAL_STATUSES.map(isFinalStatus),
};
const PROOF: Dimension = { shift: PROOF_SHIFT, rank: PROOF_STATUSES.map(proofRank), final: PROOF_STATUSES.map(isFinalProof) };
const HTLC: Dimension = { shift: HTLC_SHIFT, rank: HTLC_STATES.map(htlcRank), final: HTLC_STATES.map(isFinalHtlc) };

const S = Object.fromEntries(INTERNAL_STATUSES.map((s, i) => [s, i])) as Record<(typeof INTERNAL_STATUSES)[number], number>;
const P = Object.fromEntries(PROOF_STATUSES.map((s, i) => [s, i])) as Record<(typeof PROOF_STATUSES)[number], number>;
const H = Object.fromEntries(HTLC_STATES.map((s, i) => [s, i])) as Record<(typeof HTLC_STATES)[number], number>;

/** Moves a dimension towards `target` if it ranks higher (or the same, not final); says how the event relates. */
function advance(r: IntentRecord, dim: Dimension, target: number): Rel {
  const current = (r.bits >>> dim.shift) & DIMENSION_MASK;
  if (dim.final[current]) return STALE;
  const cr = dim.rank[current]!;
  const tr = dim.rank[target]!;
  if (tr < cr) return STALE;
  r.state += (target - current) * (1 << dim.shift); // (bits are the low digits of `state`, record.ts)
  return tr > cr ? ADVANCE : SAME;
}

const B_HTLC = fieldBit('htlcState');
const B_SOLVER = fieldBit('solver');
const B_FROM = fieldBit('fromChain');
const B_TO = fieldBit('toChain');
const B_AMOUNT = fieldBit('amount');
const B_USER = fieldBit('user');
const B_SETTLEMENT = fieldBit('settlementProof');
const B_CREATED = fieldBit('createdAt');
const B_UPDATED = fieldBit('updatedAt');
const B_MATCHED = fieldBit('matchedAt');
const B_COMPLETED = fieldBit('completedAt');
const B_PROOF_AT = fieldBit('proofGeneratedAt');
const B_TX = fieldBit('txHashes');
const B_ERROR = fieldBit('error');
const B_REASON = fieldBit('failureReason');
const B_VERSION = fieldBit('version');

/** Every from → to pair of a dimension's values, made once (frozen): a diff allocates none. */
function changes<T>(values: readonly T[]): readonly (Change<T> | null)[] {
  const out: (Change<T> | null)[] = [];
  for (const from of values) for (const to of values) out.push(from === to ? null : Object.freeze({ from, to }));
  return out;
}
const STATUS_CHANGES = changes(INTERNAL_STATUSES);
const PROOF_CHANGES = changes(PROOF_STATUSES);
const changeOf = <T>(table: readonly (Change<T> | null)[], n: number, before: number, after: number, shift: number): Change<T> | null =>
  table[((before >>> shift) & DIMENSION_MASK) * n + ((after >>> shift) & DIMENSION_MASK)] ?? null;

/** the diff bits of the event being applied (reset by each `evolve`; the fold is synchronous) */
let changed = 0;

type NullableField = 'matchedAt' | 'completedAt' | 'proofGeneratedAt';

/** Sets a field, or on a stale event only fills it in when still unset. */
function set<K extends NullableField>(r: IntentRecord, field: K, value: NonNullable<IntentRecord[K]>, rel: Rel, bit: number): void {
  const current = r[field];
  if ((rel !== STALE || current === null) && current !== value) {
    r[field] = value;
    changed |= bit;
  }
}

/** Whether to set a field now `current`: always on an advancing or same-rank event, when unset on a stale one. */
const takes = (rel: Rel, current: unknown, value: unknown): boolean => (rel !== STALE || current === null) && current !== value;

/** Sets the error (unless null) and the failure reason of the record's common values, each as `set` does. */
function setFailure(r: IntentRecord, strings: Interner, rel: Rel, error: string | null, reason: string): void {
  const c = r.common;
  const e = error !== null && takes(rel, c.error, error);
  const f = takes(rel, c.failureReason, reason);
  if (!e && !f) return;
  r.common = strings.common(c, c.solver, c.fromChain, c.toChain, e ? error : c.error, f ? reason : c.failureReason);
  changed |= (e ? B_ERROR : 0) | (f ? B_REASON : 0);
}

/** Sets a text of the record's blob (record.ts), or on a stale event only fills it in when still unset. */
function setText(r: IntentRecord, k: BlobKey, payload: string, rel: Rel, bit: number): void {
  const current = blobGet(r.blob, k);
  if (rel === STALE && current !== undefined) return;
  if (current === payload) return;
  r.blob = blobSet(r.blob, k, payload);
  changed |= bit;
}

const setTx = (r: IntentRecord, k: BlobKey, hash: string, rel: Rel): void => setText(r, k, pack(hash), rel, B_TX);

/**
 * Applies `e` to `r` (whose remembered events do not include `key`). `created`: `r` is new, made
 * for this event. `strings` shares repeated strings across records; `dedup` is the store's arena
 * of de-duplication entries (dedup-arena.ts), where `key` is remembered.
 * `keptAt` is the event's housekeeping time (housekeeping.ts; default its occurredAt): what the
 * de-duplication memory keeps and the horizon goes by, so a future-dated event cannot push it.
 * `diff` false: the record changes exactly the same, but no diff is made (null is returned), for
 * the replay, where nothing reads one (store.ts `fold`).
 */
export function evolve(
  r: IntentRecord,
  e: NonRemoval,
  key: number,
  created: boolean,
  strings: Interner,
  dedup: DedupArena,
  keptAt: number = e.occurredAt,
  diff = true,
): CreatedDiff | UpdatedDiff | null {
  if (r.state >= MAX_STATE) throw new RangeError(`intent ${e.intentId}: version ${MAX_VERSION} is the last (record.ts)`);
  const bitsBefore = r.bits;
  const at = small(e.occurredAt - r.t0);
  const kept = small(keptAt - r.t0);
  changed = B_VERSION;
  r.state += VERSION_UNIT;
  if (at > r.updatedAt) {
    r.updatedAt = at;
    changed |= B_UPDATED;
  }
  if ((r.bits & SUBMITTED_SEEN) === 0 && at < r.createdAt) {
    r.createdAt = at;
    changed |= B_CREATED;
  }
  if (countOf(r.seen) >= MAX_REMEMBERED_EVENTS) {
    // the oldest remembered event is forgotten now: the horizon covers its time
    const t = dedup.timeAt(r.seen, 0);
    // (unknown: at most the greatest time applied, and never past this event's housekeeping time)
    const forgotten = t === UNKNOWN_TIME ? Math.min(r.updatedAt, kept) : t;
    if (r.dedupHorizon === null || forgotten > r.dedupHorizon) r.dedupHorizon = forgotten;
  }
  r.seen = dedup.add(r.seen, key, kept);

  let settlement: SettlementProof | null = null;
  switch (e.type) {
    case 'intent.submitted': {
      const rel = advance(r, STATUS, S.SUBMITTED);
      const c = r.common;
      const from = takes(rel, c.fromChain, e.data.fromChain);
      const to = takes(rel, c.toChain, e.data.toChain);
      if (from || to) {
        const f = from ? e.data.fromChain : c.fromChain;
        const t = to ? e.data.toChain : c.toChain;
        r.common = strings.common(c, c.solver, f, t, c.error, c.failureReason);
        changed |= (from ? B_FROM : 0) | (to ? B_TO : 0);
      }
      setText(r, AMOUNT, e.data.amount, rel, B_AMOUNT);
      if (e.data.user !== undefined) setText(r, USER, pack(e.data.user), rel, B_USER);
      if ((r.bits & SUBMITTED_SEEN) === 0) {
        if (r.createdAt !== at) changed |= B_CREATED;
        r.createdAt = at;
        r.state += SUBMITTED_SEEN;
      }
      break;
    }
    case 'intent.matched': {
      const rel = advance(r, STATUS, S.MATCHED);
      const c = r.common;
      const solver = strings.intern(e.data.solver);
      if (takes(rel, c.solver, solver)) {
        r.common = strings.common(c, solver, c.fromChain, c.toChain, c.error, c.failureReason);
        changed |= B_SOLVER;
      }
      set(r, 'matchedAt', at, rel, B_MATCHED);
      break;
    }
    case 'intent.source_lock_requested':
      advance(r, HTLC, H.awaiting_source_lock);
      break;
    case 'intent.source_locked':
      advance(r, STATUS, S.EXECUTING);
      setTx(r, 0, e.data.txHash, advance(r, HTLC, H.source_locked));
      break;
    case 'intent.destination_locked':
      setTx(r, 1, e.data.txHash, advance(r, HTLC, H.destination_locked));
      break;
    case 'intent.destination_withdrawn':
      setTx(r, 2, e.data.txHash, advance(r, HTLC, H.destination_withdrawn));
      break;
    case 'intent.completed': {
      const rel = advance(r, STATUS, S.COMPLETED);
      set(r, 'completedAt', at, rel, B_COMPLETED);
      const htlc = advance(r, HTLC, H.source_withdrawn);
      if (e.data.txHash !== undefined) setTx(r, 3, e.data.txHash, htlc);
      break;
    }
    case 'intent.refunded':
      setTx(r, e.data.side === 'source' ? 4 : 5, e.data.txHash, advance(r, HTLC, H.refunded));
      break;
    case 'intent.failed': {
      const rel = advance(r, STATUS, S.FAILED);
      setFailure(r, strings, rel, strings.intern(e.data.error), strings.intern(e.data.failureReason));
      break;
    }
    case 'intent.cancelled': {
      const rel = advance(r, STATUS, S.CANCELLED);
      if (e.data.reason !== undefined) setFailure(r, strings, rel, null, strings.intern(e.data.reason));
      break;
    }
    case 'proof.requested':
      advance(r, PROOF, P.pending);
      break;
    case 'proof.generating':
      advance(r, PROOF, P.generating);
      break;
    case 'proof.generated': {
      const rel = advance(r, PROOF, P.generated);
      set(r, 'proofGeneratedAt', e.data.proofGeneratedAt === undefined ? at : small(e.data.proofGeneratedAt - r.t0), rel, B_PROOF_AT);
      break;
    }
    case 'proof.verified':
      advance(r, PROOF, P.verified);
      break;
    case 'proof.failed':
      advance(r, PROOF, P.failed);
      break;
    case 'proof.settlement_generated': {
      // the latest one (in event time) is kept, on a tie the later applied; an older one changes
      // nothing but version/updatedAt
      if (r.proofAt !== null && at < r.proofAt) break;
      const verifier = e.data.verifier ?? null;
      settlement = { proof: e.data.proof, verifier, generatedAt: e.occurredAt };
      let blob = blobSet(r.blob, PROOF_TEXT, pack(e.data.proof));
      blob = verifier === null ? blobDelete(blob, VERIFIER) : blobSet(blob, VERIFIER, pack(verifier));
      r.blob = blob;
      r.proofAt = at;
      changed |= B_SETTLEMENT;
      break;
    }
    default:
      return assertNever(e);
  }

  if (!diff) return null;
  if (((bitsBefore ^ r.bits) >>> HTLC_SHIFT) & DIMENSION_MASK) changed |= B_HTLC;
  const proof = changeOf(PROOF_CHANGES, PROOF_STATUSES.length, bitsBefore, r.bits, PROOF_SHIFT);
  if (created) return new CreatedDiff(e.intentId, r, dedup, proof, settlement);
  const status = changeOf(STATUS_CHANGES, INTERNAL_STATUSES.length, bitsBefore, r.bits, STATUS_SHIFT);
  return new UpdatedDiff(e.intentId, r, dedup, changed, status, proof, settlement);
}
