/**
 * A diff names everything one applied event changed, so that fan-out and stats never compare
 * states themselves. `null` from the fold means "nothing changed, nothing to emit"
 * (duplicate, or an event of a removed intent at or before its removal).
 *
 * `projection` (and `previous` of a removal) is made from the intent's record when read: read it
 * before the next event of the same intent is applied (fan-out does, synchronously). The changed
 * fields are kept as bits and listed on demand, so an event nobody fans out (the replay) costs no
 * copy of the projection. The record is a private field: comparing two diffs (tests) compares what
 * they say changed, not how the store happens to lay out its state.
 */
import { DIFF_FIELDS, type DiffField, type Projection, type SettlementProof } from './projection.js';
import type { DedupArena } from './dedup-arena.js';
import { type IntentRecord, viewOf } from './record.js';
import type { InternalStatus, ProofStatus } from './status.js';

export interface Change<T> {
  readonly from: T;
  readonly to: T;
}

export type { SettlementProof } from './projection.js';

const BIT = new Map<DiffField, number>(DIFF_FIELDS.map((f, i) => [f, 1 << i]));
const ALL = (1 << DIFF_FIELDS.length) - 1;

/** The bit of a field in a diff's `changed` mask. */
export function fieldBit(f: DiffField): number {
  return BIT.get(f)!;
}

function fieldsOf(mask: number): DiffField[] {
  const out: DiffField[] = [];
  for (let i = 0; i < DIFF_FIELDS.length; i++) if ((mask & (1 << i)) !== 0) out.push(DIFF_FIELDS[i]!);
  return out;
}

export class CreatedDiff {
  readonly kind = 'created' as const;
  readonly #record: IntentRecord;
  readonly #dedup: DedupArena;
  constructor(
    readonly intentId: string,
    record: IntentRecord,
    /** the record's de-duplication entries (the store's arena) */
    dedup: DedupArena,
    /** proof status before → after; `from` is the initial `pending` */
    readonly proof: Change<ProofStatus> | null,
    /** the projection's new settlement proof, when the event was a `proof.settlement_generated` that replaced it */
    readonly settlement: SettlementProof | null,
  ) {
    this.#record = record;
    this.#dedup = dedup;
  }
  /** the projection after the event */
  get projection(): Projection {
    return viewOf(this.intentId, this.#record, this.#dedup);
  }
  /** a created projection lists every field */
  get fields(): readonly DiffField[] {
    return fieldsOf(ALL);
  }
  get statusAfter(): InternalStatus {
    return this.#record.status;
  }
}

export class UpdatedDiff {
  readonly kind = 'updated' as const;
  readonly #record: IntentRecord;
  readonly #dedup: DedupArena;
  constructor(
    readonly intentId: string,
    record: IntentRecord,
    dedup: DedupArena,
    /** bits of DIFF_FIELDS (fieldBit) */
    readonly changed: number,
    /** internal status before → after, when it changed */
    readonly status: Change<InternalStatus> | null,
    /** proof status before → after */
    readonly proof: Change<ProofStatus> | null,
    readonly settlement: SettlementProof | null,
  ) {
    this.#record = record;
    this.#dedup = dedup;
  }
  get projection(): Projection {
    return viewOf(this.intentId, this.#record, this.#dedup);
  }
  /** other fields whose value changed */
  get fields(): readonly DiffField[] {
    return fieldsOf(this.changed);
  }
}

export class RemovedDiff {
  readonly kind = 'removed' as const;
  readonly #record: IntentRecord;
  readonly #dedup: DedupArena;
  constructor(
    readonly intentId: string,
    record: IntentRecord,
    /** the store's arena (the record's entries are a copy beside it once removed, dedup-arena.ts `release`) */
    dedup: DedupArena,
    /** occurredAt of the removal */
    readonly removedAt: number,
  ) {
    this.#record = record;
    this.#dedup = dedup;
  }
  /** the projection that was deleted */
  get previous(): Projection {
    return viewOf(this.intentId, this.#record, this.#dedup);
  }
  get statusBefore(): InternalStatus {
    return this.#record.status;
  }
}

export type Diff = CreatedDiff | UpdatedDiff | RemovedDiff;
