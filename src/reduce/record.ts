/**
 * What the store keeps per live intent: one mutable record, laid out for memory (12 fields, 120
 * bytes, plus its strings, instead of a 23-field projection, heap numbers, two arrays and a
 * wrapper per version; docs/reducer.md "Memory per projection"). Only the fold (evolve.ts)
 * writes it; everything outside src/reduce sees immutable `Projection` views (`viewOf`), made on
 * demand.
 *
 * - the version, the three ranked dimensions and `submittedSeen` share one small integer
 *   (`state` = version × VERSION_UNIT + bits);
 * - times are milliseconds relative to `t0`, the occurredAt of the record's first event, so
 *   they stay small integers (no heap number per time) for intents younger than ~24 days, and
 *   the number fields are "tagged" for V8 (see the end of the class), so an older one costs only
 *   itself a heap number;
 * - transaction hashes, user, amount and the settlement's proof and verifier live in one string
 *   (`blob`, see `blobGet` / `blobSet`), hex ones packed (pack.ts): one string header instead of
 *   five;
 * - solver, chains, error and failure reason are one object shared between records (`common`,
 *   interned per store, intern.ts), which also holds the rarely set removedAt and dedupHorizon
 *   (then as the record's own copy);
 * - `t0` is two small integers, not a heap number;
 * - the de-duplication entries live in the store's arena (dedup-arena.ts): the record holds a
 *   small-integer handle, so `viewOf` takes the arena it refers to.
 */
import { unpack } from './pack.js';
import type { Projection, TxHashes, TxHashKey } from './projection.js';
import { HTLC_STATES, INTERNAL_STATUSES, PROOF_STATUSES, type HtlcState, type InternalStatus, type ProofStatus } from './status.js';
import { countOf, type DedupArena, DETACHED, EMPTY, keysOf, timesOf, UNITS } from './dedup-arena.js';

export const STATUS_SHIFT = 0;
export const PROOF_SHIFT = 3;
export const HTLC_SHIFT = 6;
export const DIMENSION_MASK = 7;
export const SUBMITTED_SEEN = 1 << 9;
/** `state` = version × VERSION_UNIT + bits (bits < VERSION_UNIT) */
export const VERSION_UNIT = 1 << 10;
/**
 * The greatest version a record can reach: `state` stays an exact integer (< 2^53) up to it. One
 * more event throws a RangeError (evolve.ts) instead of wrapping: 2^43 - 1 events of one intent,
 * ~280 years at a million events per second. (Up to version 2^21 - 1 `state` is a small integer;
 * beyond, a heap number: 16 bytes more for that record, nothing else changes.)
 */
export const MAX_VERSION = 2 ** 43 - 1;
/** `state` at MAX_VERSION (no more events) */
export const MAX_STATE = MAX_VERSION * VERSION_UNIT;
/** t0 = t0High × T0_SPLIT + t0Low: both small integers for any epoch-ms time of a valid date */
const T0_SPLIT = 2 ** 24;

/**
 * `x` as a small integer (V8 Smi) when it is an int32: the fold's relative times are differences
 * of epoch-ms doubles, which V8 may otherwise keep as 16-byte heap numbers (its interpreter boxes
 * every floating-point result). Exact: only the representation changes (-0 becomes 0, which no
 * relative time or count is).
 */
export const small = (x: number): number => {
  const i = x | 0;
  return i === x ? i : x;
};

/**
 * Values that repeat across intents, shared (interned per store, see `Interner.common`): the
 * solver, the chains, the failure's error and reason. One field instead of five; a record with
 * none of them set holds `NO_COMMON`. A shared one is frozen: a change makes (or finds) another.
 *
 * It also holds the two fields most records never set (`removedAt`, `dedupHorizon`), null in
 * every shared one: a record that sets one gets a copy of its own, not frozen, not shared
 * (`isOwn`), and keeps it (neither is ever unset).
 */
export interface Common {
  readonly solver: string | null;
  readonly fromChain: number | null;
  readonly toChain: number | null;
  readonly error: string | null;
  readonly failureReason: string | null;
  /** the cut-off of a previous life (no zombies), null on a first life */
  readonly removedAt: number | null;
  /** relative; null until `seen` first overflowed */
  readonly dedupHorizon: number | null;
}
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A `Common` of these values (not shared: see `Interner.common`); every one has this shape. */
export const commonOf = (
  solver: string | null,
  fromChain: number | null,
  toChain: number | null,
  error: string | null,
  failureReason: string | null,
  removedAt: number | null = null,
  dedupHorizon: number | null = null,
): Common => ({ solver, fromChain, toChain, error, failureReason, removedAt, dedupHorizon });
/** Whether `c` is a record's own (it holds removedAt or dedupHorizon), not a shared one. */
export const isOwn = (c: Common): boolean => c.removedAt !== null || c.dedupHorizon !== null;
export const NO_COMMON: Common = Object.freeze(commonOf(null, null, null, null, null));

export class IntentRecord {
  /** version × VERSION_UNIT + bits (see `version` and `bits`) */
  state = 0;
  createdAt = 0;
  updatedAt = 0;
  matchedAt: number | null = null;
  completedAt: number | null = null;
  proofGeneratedAt: number | null = null;
  /** solver, chains, error and failure reason (shared between records), removedAt and dedupHorizon */
  common: Common;
  /**
   * the packed texts of the intent, one entry each when set (see `blobGet` / `blobSet`):
   * transaction hashes (in the order their keys were first set), `data.user` of intent.submitted,
   * the amount, the latest settlement's proof and verifier
   */
  blob = '';
  /** occurredAt of the latest settlement (greatest occurredAt; relative) */
  proofAt: number | null = null;
  /** the handle of the de-duplication entries in the store's arena (dedup-arena.ts) */
  seen = EMPTY;
  /** `t0` as two small integers (an epoch-ms number would be a 16-byte heap number) */
  private readonly t0High: number;
  private readonly t0Low: number;

  constructor(
    /** absolute occurredAt of the first event (an integer): the base of every relative time */
    t0: number,
    /** the cut-off of a previous life (no zombies), null on a first life */
    removedAt: number | null,
  ) {
    // exact for every number (x % 2^24 and the difference are exact); a non-finite t0 is kept as is
    const finite = Number.isFinite(t0);
    this.t0Low = finite ? small(t0 % T0_SPLIT) : 0;
    this.t0High = finite ? small((t0 - this.t0Low) / T0_SPLIT) : t0;
    this.common = removedAt === null ? NO_COMMON : commonOf(null, null, null, null, null, removedAt);
  }

  /** absolute occurredAt of the first event: the base of every relative time */
  get t0(): number {
    return this.t0High * T0_SPLIT + this.t0Low;
  }

  /** the three ranked dimensions and `submittedSeen` (the *_SHIFT / SUBMITTED_SEEN bits) */
  get bits(): number {
    // (exact for every state below 2^53: ToInt32 keeps it modulo 2^32, a multiple of VERSION_UNIT)
    return this.state & (VERSION_UNIT - 1);
  }
  /** events applied to this projection (at most MAX_VERSION) */
  get version(): number {
    return (this.state - this.bits) / VERSION_UNIT;
  }

  get removedAt(): number | null {
    return this.common.removedAt;
  }
  /** relative; null until `seen` first overflowed */
  get dedupHorizon(): number | null {
    return this.common.dedupHorizon;
  }
  set dedupHorizon(h: number | null) {
    const c = this.common;
    if (h === c.dedupHorizon) return;
    if (isOwn(c)) (c as Mutable<Common>).dedupHorizon = h;
    else this.common = commonOf(c.solver, c.fromChain, c.toChain, c.error, c.failureReason, c.removedAt, h);
  }

  get solver(): string | null {
    return this.common.solver;
  }
  get fromChain(): number | null {
    return this.common.fromChain;
  }
  get toChain(): number | null {
    return this.common.toChain;
  }
  get error(): string | null {
    return this.common.error;
  }
  get failureReason(): string | null {
    return this.common.failureReason;
  }

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

{
  // V8 gives each field of the records' shape one representation for all of them. A number field
  // holding small integers that once receives another number (a relative time past 24.8 days, a
  // version past 2^21, a heap number from the interpreter) turns "double" for every record made
  // after, each then holding a 16-byte box for it; storing a non-number first makes the fields
  // "tagged" (a small integer inline, any other number its own heap number). Memory only: values
  // are the same.
  const probe = new IntentRecord(0, null) as unknown as Record<string, unknown>;
  for (const f of ['state', 'createdAt', 'updatedAt', 't0High', 't0Low']) probe[f] = null;
}

const abs = (r: IntentRecord, rel: number | null): number | null => (rel === null ? null : r.t0 + rel);

// ------------------------------------------------------------------------------------------------
// the blob: entries [key × 16 + (length >> 16)][(length >> 8) & 255][length & 255][payload]
// (three header characters below 256, so a blob of packed payloads stays a one-byte string);
// a payload is at most 2^20 - 1 characters (the schema's longest text, a 1,000,000-character
// proof, packs into fewer)

export const TX_KEYS = [
  'sourceLock',
  'destinationLock',
  'destinationWithdraw',
  'sourceWithdraw',
  'sourceRefund',
  'destinationRefund',
] as const satisfies readonly TxHashKey[];
export type TxIndex = 0 | 1 | 2 | 3 | 4 | 5;
/** blob keys 0-5 are the TX_KEYS (payload: pack(hash)), then: */
export const USER = 6; // pack(user)
export const AMOUNT = 7; // verbatim
export const PROOF = 8; // pack(proof)
export const VERIFIER = 9; // pack(verifier)
/** only in a record that left the store (`detachSeen`): its de-duplication entries' units */
const SEEN = 10;
export type BlobKey = TxIndex | typeof USER | typeof AMOUNT | typeof PROOF | typeof VERIFIER | typeof SEEN;
const HEAD = 3;
const MAX_PAYLOAD = 1 << 20;

const payloadLength = (blob: string, i: number): number =>
  ((blob.charCodeAt(i) & 15) << 16) | (blob.charCodeAt(i + 1) << 8) | blob.charCodeAt(i + 2);

/** Where the entry of `key` starts in `blob`, or -1. */
function blobFind(blob: string, key: BlobKey): number {
  for (let i = 0; i < blob.length; i += HEAD + payloadLength(blob, i)) if (blob.charCodeAt(i) >>> 4 === key) return i;
  return -1;
}

/** The payload of `key`, or undefined. */
export function blobGet(blob: string, key: BlobKey): string | undefined {
  const i = blobFind(blob, key);
  return i < 0 ? undefined : blob.slice(i + HEAD, i + HEAD + payloadLength(blob, i));
}

/** `blob` with `key` set to `payload`, in place if the key is already there. */
export function blobSet(blob: string, key: BlobKey, payload: string): string {
  const n = payload.length;
  if (n >= MAX_PAYLOAD) throw new RangeError(`a text of ${n} characters (at most ${MAX_PAYLOAD - 1} are kept)`);
  const head = String.fromCharCode((key << 4) | (n >>> 16), (n >>> 8) & 255, n & 255);
  const i = blobFind(blob, key);
  if (i < 0) return [blob, head, payload].join('');
  return [blob.slice(0, i), head, payload, blob.slice(i + HEAD + payloadLength(blob, i))].join('');
}

/** `blob` without the entry of `key`. */
export function blobDelete(blob: string, key: BlobKey): string {
  const i = blobFind(blob, key);
  return i < 0 ? blob : [blob.slice(0, i), blob.slice(i + HEAD + payloadLength(blob, i))].join('');
}

function txHashesOf(blob: string): TxHashes {
  const out: Record<string, string> = {};
  for (let i = 0; i < blob.length; ) {
    const key = blob.charCodeAt(i) >>> 4;
    const end = i + HEAD + payloadLength(blob, i);
    if (key < TX_KEYS.length) out[TX_KEYS[key]!] = unpack(blob.slice(i + HEAD, end));
    i = end;
  }
  return out;
}

export function packedOrNull(blob: string, key: BlobKey): string | null {
  const p = blobGet(blob, key);
  return p === undefined ? null : unpack(p);
}

// ------------------------------------------------------------------------------------------------
// de-duplication entries

/**
 * Before a record leaves the store (a removal) and its block in the arena is freed: a copy of its
 * entries into its blob, so that a diff or view of it read later still shows them.
 */
export function detachSeen(r: IntentRecord, dedup: DedupArena): void {
  const units = new Uint16Array(countOf(r.seen) * UNITS);
  dedup.copyOut(r.seen, units, 0);
  r.blob = blobSet(r.blob, SEEN, String.fromCharCode.apply(null, units as unknown as number[]));
  dedup.release(r.seen);
  r.seen = DETACHED;
}

function detachedUnits(r: IntentRecord): Uint16Array {
  const s = blobGet(r.blob, SEEN) ?? '';
  const u = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}

function seenKeysOf(r: IntentRecord, dedup: DedupArena): number[] {
  if (r.seen !== DETACHED) return dedup.keys(r.seen);
  const u = detachedUnits(r);
  return keysOf(u, 0, u.length / UNITS);
}

function seenTimesOf(r: IntentRecord, dedup: DedupArena): number[] {
  const unknownAs = r.t0 + r.updatedAt;
  if (r.seen !== DETACHED) return dedup.times(r.seen, r.t0, unknownAs);
  const u = detachedUnits(r);
  return timesOf(u, 0, u.length / UNITS, r.t0, unknownAs);
}

// ------------------------------------------------------------------------------------------------
// views

function settlementOf(r: IntentRecord): Projection['settlementProof'] {
  const proof = blobGet(r.blob, PROOF);
  return proof === undefined ? null : { proof: unpack(proof), verifier: packedOrNull(r.blob, VERIFIER), generatedAt: r.t0 + r.proofAt! };
}

/**
 * The immutable projection of a record as it is now (a new object: take it before the next
 * event); `dedup` is the arena of its de-duplication entries (the store's).
 */
export function viewOf(intentId: string, r: IntentRecord, dedup: DedupArena): Projection {
  return {
    intentId,
    status: r.status,
    proofStatus: r.proofStatus,
    htlcState: r.htlcState,
    solver: r.solver,
    fromChain: r.fromChain,
    toChain: r.toChain,
    amount: blobGet(r.blob, AMOUNT) ?? null,
    user: packedOrNull(r.blob, USER),
    settlementProof: settlementOf(r),
    createdAt: r.t0 + r.createdAt,
    submittedSeen: (r.bits & SUBMITTED_SEEN) !== 0,
    updatedAt: r.t0 + r.updatedAt,
    matchedAt: abs(r, r.matchedAt),
    completedAt: abs(r, r.completedAt),
    proofGeneratedAt: abs(r, r.proofGeneratedAt),
    txHashes: txHashesOf(r.blob),
    error: r.error,
    failureReason: r.failureReason,
    version: r.version,
    seen: seenKeysOf(r, dedup),
    seenAt: seenTimesOf(r, dedup),
    dedupHorizon: abs(r, r.dedupHorizon),
  };
}
