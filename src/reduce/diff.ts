/**
 * A diff names everything one applied event changed, so that fan-out and stats never compare
 * states themselves. `null` from the fold means "nothing changed, nothing to emit"
 * (duplicate, or an event of a removed intent at or before its removal).
 */
import type { DiffField, Projection, SettlementProof } from './projection.js';
import type { InternalStatus, ProofStatus } from './status.js';

export interface Change<T> {
  readonly from: T;
  readonly to: T;
}

export type { SettlementProof } from './projection.js';

interface Applied {
  readonly intentId: string;
  /** the projection after the event */
  readonly projection: Projection;
  /** proof status before → after; on creation, `from` is the initial `pending` */
  readonly proof: Change<ProofStatus> | null;
  /** the projection's new settlement proof, when the event was a `proof.settlement_generated` that replaced it */
  readonly settlement: SettlementProof | null;
  /** other fields whose value changed */
  readonly fields: readonly DiffField[];
}

export interface CreatedDiff extends Applied {
  readonly kind: 'created';
}

export interface UpdatedDiff extends Applied {
  readonly kind: 'updated';
  /** internal status before → after, when it changed */
  readonly status: Change<InternalStatus> | null;
}

export interface RemovedDiff {
  readonly kind: 'removed';
  readonly intentId: string;
  /** the projection that was deleted */
  readonly previous: Projection;
  /** occurredAt of the removal */
  readonly removedAt: number;
}

export type Diff = CreatedDiff | UpdatedDiff | RemovedDiff;
