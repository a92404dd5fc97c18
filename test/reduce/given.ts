/**
 * Given/when/then specifications for the fold (Emmett style):
 *
 *   given(submitted(1), matched(2, '0xS'))
 *     .when(sourceLocked(3, '0xT'))
 *     .then({ projection: { status: 'EXECUTING' }, diff: { kind: 'updated', status: { from: 'MATCHED', to: 'EXECUTING' } } });
 *
 * `given` folds its events into a fresh ProjectionStore, `when` applies one more, `then` checks the
 * resulting projection (and its formatted, user-visible form), the diff, the Socket.IO events the
 * diff emits, and the stats. `thenNothingChanges()` checks the event was a no-op: no diff, and
 * the store (projections, stats, tombstones) exactly as before.
 */
import { expect } from 'vitest';
import type { EventType, IntentEvent } from '../../src/contract/events.js';
import type { FormattedIntent, ServerEventName } from '../../src/contract/socket.js';
import { emissionsFor } from '../../src/fanout/emissions.js';
import { formatIntent } from '../../src/fanout/format.js';
import type { Change, Diff, SettlementProof } from '../../src/reduce/diff.js';
import type { DiffField, Projection } from '../../src/reduce/projection.js';
import type { MempoolStats } from '../../src/reduce/stats.js';
import { countStats } from '../../src/reduce/stats.js';
import type { InternalStatus, ProofStatus } from '../../src/reduce/status.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { decodeEvent, wireEvent, type DataOf } from '../support/histories.js';

// ---------------------------------------------------------------------------------------------
// Event builders: `at` is in seconds after T0, for readable specifications.

export const T0 = Date.parse('2026-11-27T10:00:00.000Z');
export const ID = `0x${'ab'.repeat(32)}`;
export const OTHER_ID = `0x${'cd'.repeat(32)}`;
/** epoch ms of second `s` */
export const t = (s: number): number => T0 + s * 1000;
export const iso = (s: number): string => new Date(t(s)).toISOString();

export interface EventOptions {
  intentId?: string;
  eventId?: string;
}

export function ev<T extends EventType>(type: T, at: number, data?: DataOf<T>, o: EventOptions = {}): IntentEvent {
  return decodeEvent(wireEvent(type, { intentId: o.intentId ?? ID, at: t(at), data, eventId: o.eventId }));
}

export const submitted = (at: number, o?: EventOptions & { fromChain?: number; toChain?: number; amount?: string }) =>
  ev('intent.submitted', at, { fromChain: o?.fromChain ?? 1, toChain: o?.toChain ?? 10, amount: o?.amount ?? '1000' }, o);
export const matched = (at: number, solver = '0xSOLVER', o?: EventOptions) => ev('intent.matched', at, { solver }, o);
export const lockRequested = (at: number, o?: EventOptions) => ev('intent.source_lock_requested', at, undefined, o);
export const sourceLocked = (at: number, txHash = '0xsl', o?: EventOptions) => ev('intent.source_locked', at, { txHash }, o);
export const destinationLocked = (at: number, txHash = '0xdl', o?: EventOptions) => ev('intent.destination_locked', at, { txHash }, o);
export const destinationWithdrawn = (at: number, txHash = '0xdw', o?: EventOptions) =>
  ev('intent.destination_withdrawn', at, { txHash }, o);
export const completed = (at: number, txHash?: string, o?: EventOptions) =>
  ev('intent.completed', at, txHash === undefined ? undefined : { txHash }, o);
export const refunded = (at: number, side: 'source' | 'destination', txHash = `0x${side}-refund`, o?: EventOptions) =>
  ev('intent.refunded', at, { side, txHash }, o);
export const failed = (at: number, error = 'boom', failureReason = 'REASON', o?: EventOptions) =>
  ev('intent.failed', at, { error, failureReason }, o);
export const cancelled = (at: number, reason?: string, o?: EventOptions) =>
  ev('intent.cancelled', at, reason === undefined ? undefined : { reason }, o);
export const removed = (at: number, o?: EventOptions) => ev('intent.removed', at, undefined, o);
export const proofRequested = (at: number, o?: EventOptions) => ev('proof.requested', at, undefined, o);
export const proofGenerating = (at: number, o?: EventOptions) => ev('proof.generating', at, undefined, o);
export const proofGenerated = (at: number, proofGeneratedAt?: number, o?: EventOptions) =>
  ev('proof.generated', at, proofGeneratedAt === undefined ? undefined : { proofGeneratedAt: iso(proofGeneratedAt) }, o);
export const proofVerified = (at: number, o?: EventOptions) => ev('proof.verified', at, undefined, o);
export const proofFailed = (at: number, error?: string, o?: EventOptions) =>
  ev('proof.failed', at, error === undefined ? undefined : { error }, o);
export const settlement = (at: number, proof = '0xPROOF', verifier?: string, o?: EventOptions) =>
  ev('proof.settlement_generated', at, verifier === undefined ? { proof } : { proof, verifier }, o);

// ---------------------------------------------------------------------------------------------
// given / when / then

export interface ExpectedDiff {
  kind: Diff['kind'];
  /** internal status old → new; null: unchanged (updated diffs only) */
  status?: Change<InternalStatus> | null;
  proof?: Change<ProofStatus> | null;
  settlement?: SettlementProof | null;
  /** exactly these fields changed (any order) */
  fields?: readonly DiffField[];
  /** the removal's occurredAt (removed diffs only) */
  removedAt?: number;
}

export interface Expected {
  /** the live projection of the event's intent matches this; `null`: there is none */
  projection?: Partial<Omit<Projection, 'seen'>> | null;
  /** formatIntent(projection) matches this (the frontend view) */
  formatted?: Partial<Omit<FormattedIntent, 'timestamp'>>;
  diff?: ExpectedDiff;
  /** the Socket.IO events the diff makes (in order) */
  emits?: readonly ServerEventName[];
  stats?: Partial<MempoolStats>;
  tombstones?: number;
}

interface Snapshot {
  projections: Projection[];
  stats: MempoolStats;
  tombstones: number;
  size: number;
}

function snapshot(store: ProjectionStore): Snapshot {
  return { projections: [...store.projections()], stats: store.stats(), tombstones: store.tombstones, size: store.size };
}

export class Outcome {
  constructor(
    readonly store: ProjectionStore,
    readonly before: Snapshot,
    readonly diff: Diff | null,
    readonly intentId: string,
  ) {}

  get projection(): Projection | undefined {
    return this.store.get(this.intentId);
  }

  then(expected: Expected): this {
    const p = this.projection;
    if (expected.projection === null) expect(p, 'no live projection').toBeUndefined();
    else if (expected.projection !== undefined) {
      expect(p, 'a live projection').toBeDefined();
      expect(p).toMatchObject(expected.projection);
    }
    if (expected.formatted !== undefined) {
      expect(p, 'a live projection').toBeDefined();
      if (p) expect(formatIntent(p, 0)).toMatchObject(expected.formatted);
    }
    if (expected.diff !== undefined) {
      const d = this.diff;
      expect(d, 'a diff').not.toBeNull();
      if (d !== null) this.checkDiff(d, expected.diff);
    }
    if (expected.emits !== undefined) {
      const events = this.diff === null ? [] : emissionsFor(this.diff, 0).map((e) => e.event);
      expect(events).toEqual(expected.emits);
    }
    if (expected.stats !== undefined) expect(this.store.stats()).toMatchObject(expected.stats);
    if (expected.tombstones !== undefined) expect(this.store.tombstones).toBe(expected.tombstones);
    // always: the running stats agree with a recount
    expect(this.store.stats()).toEqual(countStats(this.store.projections()));
    return this;
  }

  /** The event was ignored: no diff, the store is exactly as before. */
  thenNothingChanges(): this {
    expect(this.diff).toBeNull();
    expect(snapshot(this.store)).toEqual(this.before);
    return this;
  }

  private checkDiff(d: Diff, e: ExpectedDiff): void {
    expect(d.kind).toBe(e.kind);
    expect(d.intentId).toBe(this.intentId);
    if (d.kind === 'removed') {
      if (e.removedAt !== undefined) expect(d.removedAt).toBe(e.removedAt);
      return;
    }
    if (e.status !== undefined) {
      if (d.kind === 'updated') expect(d.status).toEqual(e.status);
      else expect(e.status, 'a created diff has no status change').toBeNull();
    }
    if (e.proof !== undefined) expect(d.proof).toEqual(e.proof);
    if (e.settlement !== undefined) expect(d.settlement).toEqual(e.settlement);
    if (e.fields !== undefined) expect([...d.fields].sort()).toEqual([...e.fields].sort());
  }
}

/** Event types used as the `when` of a specification in this test file (see evolve.spec.test.ts). */
export const specified = new Set<string>();

export function given(...history: IntentEvent[]) {
  return {
    when(event: IntentEvent): Outcome {
      specified.add(event.type);
      const store = new ProjectionStore();
      store.applyAll(history);
      const before = snapshot(store);
      const diff = store.apply(event);
      return new Outcome(store, before, diff, event.intentId);
    },
  };
}
