/**
 * The folding rules of docs/contract.md § Folding rules, one given/when/then specification per rule:
 * every event type, every row of the normalisation table, stale / same-rank / post-final events,
 * duplicates, events before `intent.submitted`, removal and no zombies, createdAt / updatedAt /
 * version, and the diff each change produces (and the Socket.IO events that diff makes).
 */
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type IntentEvent } from '../../src/contract/events.js';
import { DIFF_FIELDS } from '../../src/reduce/projection.js';
import type { FrontendStatus, HtlcState } from '../../src/reduce/status.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import {
  cancelled,
  completed,
  destinationLocked,
  destinationWithdrawn,
  ev,
  failed,
  given,
  ID,
  lockRequested,
  matched,
  OTHER_ID,
  proofFailed,
  proofGenerated,
  proofGenerating,
  proofRequested,
  proofVerified,
  refunded,
  removed,
  settlement,
  sourceLocked,
  specified,
  submitted,
  t,
} from './given.js';

const ALL_FIELDS = [...DIFF_FIELDS];

describe('every event type', () => {
  it('intent.submitted creates the intent: SUBMITTED, chains, amount, createdAt, version 1, announced', () => {
    given()
      .when(ev('intent.submitted', 1, { fromChain: 1, toChain: 8453, amount: '1.5', user: '0xUSER', deadline: 1_900_000_000 }))
      .then({
        projection: {
          intentId: ID,
          status: 'SUBMITTED',
          proofStatus: 'pending',
          htlcState: 'none',
          fromChain: 1,
          toChain: 8453,
          amount: '1.5',
          solver: null,
          createdAt: t(1),
          updatedAt: t(1),
          matchedAt: null,
          completedAt: null,
          proofGeneratedAt: null,
          txHashes: {},
          error: null,
          failureReason: null,
          version: 1,
        },
        formatted: { status: 'proofs_pending', createdAt: '2026-11-27T10:00:01.000Z', txHashes: {} },
        diff: { kind: 'created', status: null, proof: null, settlement: null, fields: ALL_FIELDS },
        emits: ['intent:status', 'intent:new'],
        stats: { total: 1, submitted: 1 },
      });
  });

  it('intent.submitted: user is kept and shown; deadline is validated but not projected', () => {
    const o = given()
      .when(ev('intent.submitted', 1, { fromChain: 1, toChain: 2, amount: '7', user: '0xUSER', deadline: 5 }))
      .then({ projection: { user: '0xUSER' }, formatted: { user: '0xUSER' } });
    expect(Object.keys(o.projection ?? {})).not.toContain('deadline');
  });

  it('intent.submitted without user: user null', () => {
    given()
      .when(submitted(1))
      .then({ projection: { user: null }, formatted: { user: null } });
  });

  it('a stale intent.submitted (after MATCHED) fills in a missing user but never replaces one', () => {
    const withUser = (at: number, user: string) => ev('intent.submitted', at, { fromChain: 1, toChain: 2, amount: '7', user });
    given(matched(1))
      .when(withUser(2, '0xLATE'))
      .then({
        projection: { status: 'MATCHED', user: '0xLATE' },
        diff: { kind: 'updated', fields: ['fromChain', 'toChain', 'amount', 'user', 'createdAt', 'updatedAt', 'version'] },
      });
    given(withUser(1, '0xFIRST'), matched(2))
      .when(withUser(3, '0xOTHER'))
      .then({ projection: { user: '0xFIRST' } });
  });

  it('intent.matched: MATCHED, solver, matchedAt; status_changed with oldStatus', () => {
    given(submitted(1))
      .when(matched(2, '0xS1'))
      .then({
        projection: { status: 'MATCHED', solver: '0xS1', matchedAt: t(2), version: 2, updatedAt: t(2) },
        formatted: { status: 'matched', matchedAt: '2026-11-27T10:00:02.000Z' },
        diff: {
          kind: 'updated',
          status: { from: 'SUBMITTED', to: 'MATCHED' },
          proof: null,
          fields: ['solver', 'matchedAt', 'updatedAt', 'version'],
        },
        emits: ['intent:status', 'intent:status_changed'],
        stats: { total: 1, submitted: 0, matched: 1 },
      });
  });

  it('intent.source_lock_requested: htlcState awaiting_source_lock, status stays MATCHED', () => {
    given(submitted(1), matched(2))
      .when(lockRequested(3))
      .then({
        projection: { status: 'MATCHED', htlcState: 'awaiting_source_lock' },
        formatted: { status: 'waiting_for_source_lock' },
        diff: { kind: 'updated', status: null, proof: null, fields: ['htlcState', 'updatedAt', 'version'] },
        emits: ['intent:status'],
      });
  });

  it('intent.source_locked: EXECUTING, htlcState source_locked, txHashes.sourceLock', () => {
    given(submitted(1), matched(2), lockRequested(3))
      .when(sourceLocked(4, '0xSL'))
      .then({
        projection: { status: 'EXECUTING', htlcState: 'source_locked', txHashes: { sourceLock: '0xSL' } },
        formatted: { status: 'executing', txHashes: { sourceLock: '0xSL' } },
        diff: { kind: 'updated', status: { from: 'MATCHED', to: 'EXECUTING' }, fields: ['htlcState', 'txHashes', 'updatedAt', 'version'] },
        emits: ['intent:status', 'intent:status_changed'],
        stats: { matched: 0, executing: 1 },
      });
  });

  it('intent.destination_locked: htlcState destination_locked, txHashes.destinationLock', () => {
    given(submitted(1), matched(2), sourceLocked(3, '0xSL'))
      .when(destinationLocked(4, '0xDL'))
      .then({
        projection: { status: 'EXECUTING', htlcState: 'destination_locked', txHashes: { sourceLock: '0xSL', destinationLock: '0xDL' } },
        diff: { kind: 'updated', status: null, fields: ['htlcState', 'txHashes', 'updatedAt', 'version'] },
        emits: ['intent:status'],
      });
  });

  it('intent.destination_withdrawn: htlcState destination_withdrawn, txHashes.destinationWithdraw', () => {
    given(submitted(1), matched(2), sourceLocked(3), destinationLocked(4))
      .when(destinationWithdrawn(5, '0xDW'))
      .then({
        projection: {
          status: 'EXECUTING',
          htlcState: 'destination_withdrawn',
          txHashes: { sourceLock: '0xsl', destinationLock: '0xdl', destinationWithdraw: '0xDW' },
        },
        diff: { kind: 'updated', status: null, fields: ['htlcState', 'txHashes', 'updatedAt', 'version'] },
      });
  });

  it('intent.completed: COMPLETED, htlcState source_withdrawn, txHashes.sourceWithdraw, completedAt', () => {
    given(submitted(1), matched(2), sourceLocked(3), destinationLocked(4), destinationWithdrawn(5))
      .when(completed(6, '0xSW'))
      .then({
        projection: { status: 'COMPLETED', htlcState: 'source_withdrawn', completedAt: t(6), version: 6 },
        formatted: {
          status: 'completed',
          completedAt: '2026-11-27T10:00:06.000Z',
          txHashes: { sourceLock: '0xsl', destinationLock: '0xdl', destinationWithdraw: '0xdw', sourceWithdraw: '0xSW' },
        },
        diff: {
          kind: 'updated',
          status: { from: 'EXECUTING', to: 'COMPLETED' },
          fields: ['htlcState', 'txHashes', 'completedAt', 'updatedAt', 'version'],
        },
        emits: ['intent:status', 'intent:status_changed'],
        stats: { executing: 0, completed: 1 },
      });
  });

  it('intent.completed without txHash: no sourceWithdraw key at all', () => {
    const o = given(submitted(1), sourceLocked(2)).when(completed(3));
    o.then({ projection: { status: 'COMPLETED', htlcState: 'source_withdrawn' }, formatted: { txHashes: { sourceLock: '0xsl' } } });
    expect(Object.keys(o.projection?.txHashes ?? {})).toEqual(['sourceLock']);
  });

  it.each([
    ['source', { sourceRefund: '0xR' }],
    ['destination', { destinationRefund: '0xR' }],
  ] as const)('intent.refunded (%s side): htlcState refunded, its txHash; internal status unchanged', (side, hashes) => {
    given(submitted(1), matched(2), sourceLocked(3))
      .when(refunded(4, side, '0xR'))
      .then({
        projection: { status: 'EXECUTING', htlcState: 'refunded', txHashes: { sourceLock: '0xsl', ...hashes } },
        diff: { kind: 'updated', status: null, fields: ['htlcState', 'txHashes', 'updatedAt', 'version'] },
        emits: ['intent:status'],
      });
  });

  it('intent.failed: FAILED, error, failureReason', () => {
    given(submitted(1), matched(2))
      .when(failed(3, 'execution reverted', 'SOLVER_TIMEOUT'))
      .then({
        projection: { status: 'FAILED', error: 'execution reverted', failureReason: 'SOLVER_TIMEOUT' },
        formatted: { status: 'failed', error: 'execution reverted', failureReason: 'SOLVER_TIMEOUT' },
        diff: { kind: 'updated', status: { from: 'MATCHED', to: 'FAILED' }, fields: ['error', 'failureReason', 'updatedAt', 'version'] },
        emits: ['intent:status', 'intent:status_changed'],
        stats: { matched: 0, failed: 1 },
      });
  });

  it('intent.cancelled with a reason: CANCELLED, failureReason = reason, error stays null', () => {
    given(submitted(1))
      .when(cancelled(2, 'user cancelled'))
      .then({
        projection: { status: 'CANCELLED', failureReason: 'user cancelled', error: null },
        formatted: { status: 'cancelled' },
        diff: { kind: 'updated', status: { from: 'SUBMITTED', to: 'CANCELLED' }, fields: ['failureReason', 'updatedAt', 'version'] },
        stats: { submitted: 0, cancelled: 1 },
      });
  });

  it('intent.cancelled without a reason: failureReason stays null', () => {
    given(submitted(1))
      .when(cancelled(2))
      .then({ projection: { status: 'CANCELLED', failureReason: null }, diff: { kind: 'updated', fields: ['updatedAt', 'version'] } });
  });

  it('intent.removed: the projection is deleted, intent:removed is emitted, stats drop it', () => {
    given(submitted(1), matched(2), submitted(1, { intentId: OTHER_ID }))
      .when(removed(5))
      .then({
        projection: null,
        diff: { kind: 'removed', removedAt: t(5) },
        emits: ['intent:removed'],
        stats: { total: 1, submitted: 1, matched: 0 },
        tombstones: 1,
      });
  });

  it('proof.requested: proofStatus pending (the initial value: no proof change)', () => {
    given(submitted(1))
      .when(proofRequested(2))
      .then({
        projection: { proofStatus: 'pending', version: 2 },
        diff: { kind: 'updated', proof: null, fields: ['updatedAt', 'version'] },
        emits: ['intent:status'],
      });
  });

  it('proof.generating: pending → generating, intent:proof and intent:proof_changed', () => {
    given(submitted(1), proofRequested(2))
      .when(proofGenerating(3))
      .then({
        projection: { proofStatus: 'generating', status: 'SUBMITTED' },
        formatted: { status: 'proofs_pending', proofStatus: 'generating' },
        diff: { kind: 'updated', status: null, proof: { from: 'pending', to: 'generating' }, fields: ['updatedAt', 'version'] },
        emits: ['intent:status', 'intent:proof', 'intent:proof_changed'],
      });
  });

  it('proof.generated: → generated, proofGeneratedAt defaults to occurredAt', () => {
    given(submitted(1), proofGenerating(2))
      .when(proofGenerated(3))
      .then({
        projection: { proofStatus: 'generated', proofGeneratedAt: t(3) },
        diff: { kind: 'updated', proof: { from: 'generating', to: 'generated' }, fields: ['proofGeneratedAt', 'updatedAt', 'version'] },
        emits: ['intent:status', 'intent:proof', 'intent:proof_changed'],
      });
  });

  it('proof.generated with data.proofGeneratedAt: that instant is kept', () => {
    given(submitted(1), proofGenerating(2))
      .when(proofGenerated(5, 4))
      .then({ projection: { proofStatus: 'generated', proofGeneratedAt: t(4), updatedAt: t(5) } });
  });

  it('proof.verified: → verified; a SUBMITTED intent shows proofs_verified', () => {
    given(submitted(1), proofGenerating(2), proofGenerated(3))
      .when(proofVerified(4))
      .then({
        projection: { proofStatus: 'verified' },
        formatted: { status: 'proofs_verified', proofStatus: 'verified' },
        diff: { kind: 'updated', status: null, proof: { from: 'generated', to: 'verified' } },
        emits: ['intent:status', 'intent:proof', 'intent:proof_changed'],
      });
  });

  it('proof.failed: → failed; its error is not stored (the intent error stays null)', () => {
    given(submitted(1), proofGenerating(2))
      .when(proofFailed(3, 'bad witness'))
      .then({
        projection: { proofStatus: 'failed', error: null, status: 'SUBMITTED' },
        formatted: { status: 'proofs_pending', proofStatus: 'failed', error: null },
        diff: { kind: 'updated', status: null, proof: { from: 'generating', to: 'failed' }, fields: ['updatedAt', 'version'] },
      });
  });

  it('proof.settlement_generated: intent:settlement_proof with proof and verifier; no status change', () => {
    given(submitted(1), matched(2), sourceLocked(3), completed(4))
      .when(settlement(5, '0xPROOF', '0xVERIFIER'))
      .then({
        projection: { status: 'COMPLETED', version: 5, updatedAt: t(5) },
        diff: {
          kind: 'updated',
          status: null,
          proof: null,
          settlement: { proof: '0xPROOF', verifier: '0xVERIFIER', generatedAt: t(5) },
          fields: ['settlementProof', 'updatedAt', 'version'],
        },
        emits: ['intent:status', 'intent:settlement_proof'],
      });
  });

  it('proof.settlement_generated: the proof is kept in the projection (for later subscribers)', () => {
    given(submitted(1), completed(2))
      .when(settlement(3, '0xPROOF', '0xVERIFIER'))
      .then({ projection: { settlementProof: { proof: '0xPROOF', verifier: '0xVERIFIER', generatedAt: t(3) } } });
  });

  it('proof.settlement_generated without verifier: verifier null', () => {
    given(submitted(1))
      .when(settlement(2, '0xP'))
      .then({
        projection: { settlementProof: { proof: '0xP', verifier: null, generatedAt: t(2) } },
        diff: { kind: 'updated', settlement: { proof: '0xP', verifier: null, generatedAt: t(2) } },
      });
  });

  it('a later settlement proof replaces the kept one and is emitted', () => {
    given(submitted(1), settlement(2, '0xOLD', '0xV1'))
      .when(settlement(3, '0xNEW'))
      .then({
        projection: { settlementProof: { proof: '0xNEW', verifier: null, generatedAt: t(3) } },
        diff: {
          kind: 'updated',
          settlement: { proof: '0xNEW', verifier: null, generatedAt: t(3) },
          fields: ['settlementProof', 'updatedAt', 'version'],
        },
        emits: ['intent:status', 'intent:settlement_proof'],
      });
  });

  it('an older settlement proof (in event time) keeps the latest one and emits no intent:settlement_proof', () => {
    given(submitted(1), settlement(5, '0xLATEST'))
      .when(settlement(3, '0xOLDER'))
      .then({
        projection: { settlementProof: { proof: '0xLATEST', verifier: null, generatedAt: t(5) }, version: 3 },
        diff: { kind: 'updated', settlement: null, fields: ['version'] },
        emits: ['intent:status'],
      });
  });

  it('no settlement proof yet: settlementProof null', () => {
    given(submitted(1))
      .when(proofVerified(2))
      .then({ projection: { settlementProof: null } });
  });

  it('covers every event type of the contract', () => {
    // every type was the `when` of a specification above: a type added without one fails here
    expect(EVENT_TYPES.filter((t) => !specified.has(t))).toEqual([]);
  });
});

describe('the normalisation table (docs/contract.md § Status model)', () => {
  const rows: [string, IntentEvent[], FrontendStatus][] = [
    ['SUBMITTED, proof pending', [submitted(1)], 'proofs_pending'],
    ['SUBMITTED, proof generating', [submitted(1), proofGenerating(2)], 'proofs_pending'],
    ['SUBMITTED, proof generated', [submitted(1), proofGenerated(2)], 'proofs_pending'],
    ['SUBMITTED, proof failed', [submitted(1), proofFailed(2)], 'proofs_pending'],
    ['SUBMITTED, proof verified', [submitted(1), proofVerified(2)], 'proofs_verified'],
    ['MATCHED, htlc awaiting_source_lock', [submitted(1), matched(2), lockRequested(3)], 'waiting_for_source_lock'],
    ['MATCHED, htlc none', [submitted(1), matched(2)], 'matched'],
    ['MATCHED, htlc destination_locked (stale order)', [submitted(1), matched(2), destinationLocked(3)], 'matched'],
    ['MATCHED, htlc refunded', [submitted(1), matched(2), refunded(3, 'source')], 'matched'],
    ['MATCHED, proof verified', [submitted(1), proofVerified(2), matched(3)], 'matched'],
    ['EXECUTING', [submitted(1), matched(2), sourceLocked(3)], 'executing'],
    ['EXECUTING, htlc refunded', [submitted(1), sourceLocked(2), refunded(3, 'source')], 'executing'],
    ['COMPLETED', [submitted(1), sourceLocked(2), completed(3)], 'completed'],
    ['FAILED', [submitted(1), failed(2)], 'failed'],
    ['FAILED, proof verified', [submitted(1), proofVerified(2), failed(3)], 'failed'],
    ['CANCELLED', [submitted(1), cancelled(2)], 'cancelled'],
    ['CANCELLED, htlc awaiting_source_lock', [submitted(1), matched(2), lockRequested(3), cancelled(4)], 'cancelled'],
  ];
  it.each(rows)('%s → %s', (_name, events, status) => {
    const last = events[events.length - 1] as IntentEvent;
    given(...events.slice(0, -1))
      .when(last)
      .then({ formatted: { status } });
  });
});

describe('monotonic: stale events fill in fields, the status stays', () => {
  it('intent.matched after the source lock: solver and matchedAt fill in, status stays EXECUTING', () => {
    given(submitted(1), sourceLocked(3))
      .when(matched(2, '0xLATE'))
      .then({
        projection: { status: 'EXECUTING', solver: '0xLATE', matchedAt: t(2), updatedAt: t(3), version: 3 },
        diff: { kind: 'updated', status: null, fields: ['solver', 'matchedAt', 'version'] },
        emits: ['intent:status'],
      });
  });

  it('a stale intent.matched keeps the solver already set', () => {
    given(submitted(1), matched(2, '0xS1'), sourceLocked(3))
      .when(matched(4, '0xS2'))
      .then({
        projection: { status: 'EXECUTING', solver: '0xS1', matchedAt: t(2) },
        diff: { kind: 'updated', status: null, fields: ['updatedAt', 'version'] },
      });
  });

  it('intent.source_locked after destination_locked: txHash fills in, htlcState stays, status still advances', () => {
    given(submitted(1), matched(2), destinationLocked(3, '0xDL'))
      .when(sourceLocked(4, '0xSL'))
      .then({
        projection: { status: 'EXECUTING', htlcState: 'destination_locked', txHashes: { destinationLock: '0xDL', sourceLock: '0xSL' } },
        diff: { kind: 'updated', status: { from: 'MATCHED', to: 'EXECUTING' }, fields: ['txHashes', 'updatedAt', 'version'] },
      });
  });

  it('a stale txHash already set keeps its value', () => {
    given(submitted(1), sourceLocked(2, '0xA'), destinationLocked(3))
      .when(sourceLocked(4, '0xB'))
      .then({ projection: { htlcState: 'destination_locked', txHashes: { sourceLock: '0xA', destinationLock: '0xdl' } } });
  });

  it('intent.submitted after the intent moved on: chains and amount fill in, status stays', () => {
    given(matched(2), sourceLocked(3))
      .when(submitted(1, { fromChain: 42161, toChain: 10, amount: '99' }))
      .then({
        projection: { status: 'EXECUTING', fromChain: 42161, toChain: 10, amount: '99', createdAt: t(1), updatedAt: t(3) },
        diff: { kind: 'updated', status: null, fields: ['fromChain', 'toChain', 'amount', 'createdAt', 'version'] },
      });
  });

  it('a stale proof event leaves proofStatus and emits no proof event', () => {
    given(submitted(1), proofVerified(3))
      .when(proofGenerating(2))
      .then({ projection: { proofStatus: 'verified' }, diff: { kind: 'updated', proof: null }, emits: ['intent:status'] });
  });

  it('a stale proof.generated still fills in proofGeneratedAt', () => {
    given(submitted(1), proofVerified(3))
      .when(proofGenerated(2))
      .then({
        projection: { proofStatus: 'verified', proofGeneratedAt: t(2) },
        diff: { kind: 'updated', proof: null, fields: ['proofGeneratedAt', 'version'] },
      });
  });

  it('a stale proof.generated keeps the proofGeneratedAt already set', () => {
    given(submitted(1), proofGenerated(2), proofVerified(3))
      .when(proofGenerated(4, 4))
      .then({ projection: { proofStatus: 'verified', proofGeneratedAt: t(2) } });
  });
});

describe('same rank: the event updates its fields', () => {
  it('a re-match sets the new solver and matchedAt (no status change)', () => {
    given(submitted(1), matched(2, '0xS1'))
      .when(matched(3, '0xS2'))
      .then({
        projection: { status: 'MATCHED', solver: '0xS2', matchedAt: t(3) },
        diff: { kind: 'updated', status: null, fields: ['solver', 'matchedAt', 'updatedAt', 'version'] },
        emits: ['intent:status'],
      });
  });

  it('a re-match while waiting for the source lock keeps the htlcState', () => {
    given(submitted(1), matched(2, '0xS1'), lockRequested(3))
      .when(matched(4, '0xS2'))
      .then({ projection: { solver: '0xS2', htlcState: 'awaiting_source_lock' }, formatted: { status: 'waiting_for_source_lock' } });
  });

  it('a second source lock with another txHash replaces it', () => {
    given(submitted(1), sourceLocked(2, '0xA'))
      .when(sourceLocked(3, '0xB'))
      .then({
        projection: { htlcState: 'source_locked', txHashes: { sourceLock: '0xB' } },
        diff: { kind: 'updated', status: null, fields: ['txHashes', 'updatedAt', 'version'] },
      });
  });

  it('a second proof.generated updates proofGeneratedAt', () => {
    given(submitted(1), proofGenerated(2))
      .when(proofGenerated(3))
      .then({
        projection: { proofGeneratedAt: t(3) },
        diff: { kind: 'updated', proof: null, fields: ['proofGeneratedAt', 'updatedAt', 'version'] },
      });
  });
});

describe('a final status never changes; later events only fill in fields', () => {
  it('COMPLETED then intent.failed: stays COMPLETED, error and failureReason fill in', () => {
    given(submitted(1), sourceLocked(2), completed(3))
      .when(failed(4, 'late', 'LATE'))
      .then({
        projection: { status: 'COMPLETED', error: 'late', failureReason: 'LATE' },
        formatted: { status: 'completed' },
        diff: { kind: 'updated', status: null, fields: ['error', 'failureReason', 'updatedAt', 'version'] },
        emits: ['intent:status'],
        stats: { completed: 1, failed: 0 },
      });
  });

  it('FAILED then intent.failed again: the first error and reason stay', () => {
    given(submitted(1), failed(2, 'E1', 'R1'))
      .when(failed(3, 'E2', 'R2'))
      .then({
        projection: { status: 'FAILED', error: 'E1', failureReason: 'R1' },
        diff: { kind: 'updated', status: null, fields: ['updatedAt', 'version'] },
      });
  });

  it('CANCELLED then intent.failed: stays CANCELLED, reason kept, error fills in', () => {
    given(submitted(1), cancelled(2, 'user'))
      .when(failed(3, 'E', 'R'))
      .then({ projection: { status: 'CANCELLED', failureReason: 'user', error: 'E' }, formatted: { status: 'cancelled' } });
  });

  it('FAILED then intent.completed: stays FAILED; completedAt, htlcState and txHash still move (own dimensions)', () => {
    given(submitted(1), sourceLocked(2), failed(3))
      .when(completed(4, '0xSW'))
      .then({
        projection: {
          status: 'FAILED',
          completedAt: t(4),
          htlcState: 'source_withdrawn',
          txHashes: { sourceLock: '0xsl', sourceWithdraw: '0xSW' },
        },
        diff: { kind: 'updated', status: null },
        stats: { failed: 1, completed: 0 },
      });
  });

  it('CANCELLED then intent.matched: stays CANCELLED, solver fills in', () => {
    given(submitted(1), cancelled(2))
      .when(matched(3, '0xS'))
      .then({ projection: { status: 'CANCELLED', solver: '0xS', matchedAt: t(3) }, formatted: { status: 'cancelled', solver: '0xS' } });
  });

  it('CANCELLED then intent.cancelled with a reason: the missing reason fills in', () => {
    given(submitted(1), cancelled(2))
      .when(cancelled(3, 'later reason'))
      .then({ projection: { status: 'CANCELLED', failureReason: 'later reason' } });
  });

  it('proof verified then proof.failed: stays verified', () => {
    given(submitted(1), proofVerified(2))
      .when(proofFailed(3))
      .then({ projection: { proofStatus: 'verified' }, diff: { kind: 'updated', proof: null }, emits: ['intent:status'] });
  });

  it('proof failed then proof.verified: stays failed', () => {
    given(submitted(1), proofFailed(2))
      .when(proofVerified(3))
      .then({ projection: { proofStatus: 'failed' }, formatted: { status: 'proofs_pending' }, diff: { kind: 'updated', proof: null } });
  });
});

describe('htlcState ranks (refunded is final)', () => {
  const steps: [HtlcState, (at: number) => IntentEvent][] = [
    ['awaiting_source_lock', (at) => lockRequested(at)],
    ['source_locked', (at) => sourceLocked(at)],
    ['destination_locked', (at) => destinationLocked(at)],
    ['destination_withdrawn', (at) => destinationWithdrawn(at)],
    ['source_withdrawn', (at) => completed(at)],
    ['refunded', (at) => refunded(at, 'source')],
  ];
  const pairs = steps.flatMap(([a, ea], i) => steps.map(([b, eb], j) => [a, b, i, j, ea, eb] as const));
  it.each(pairs)('%s then %s → the higher-ranked one', (a, b, i, j, ea, eb) => {
    given(submitted(1), ea(2))
      .when(eb(3))
      .then({ projection: { htlcState: j >= i ? b : a } });
  });

  it('refunded on both sides, source first: both txHashes fill in, htlcState stays refunded', () => {
    given(submitted(1), sourceLocked(2), destinationLocked(3), refunded(4, 'source', '0xRS'))
      .when(refunded(5, 'destination', '0xRD'))
      .then({
        projection: {
          htlcState: 'refunded',
          txHashes: { sourceLock: '0xsl', destinationLock: '0xdl', sourceRefund: '0xRS', destinationRefund: '0xRD' },
        },
        diff: { kind: 'updated', status: null, fields: ['txHashes', 'updatedAt', 'version'] },
      });
  });

  it('refunded on both sides, destination first: both txHashes fill in', () => {
    given(submitted(1), sourceLocked(2), destinationLocked(3), refunded(4, 'destination', '0xRD'))
      .when(refunded(5, 'source', '0xRS'))
      .then({
        projection: {
          htlcState: 'refunded',
          txHashes: { sourceLock: '0xsl', destinationLock: '0xdl', sourceRefund: '0xRS', destinationRefund: '0xRD' },
        },
      });
  });

  it('after refunded, a late destination_withdrawn fills in its txHash only', () => {
    given(submitted(1), sourceLocked(2), refunded(3, 'source'))
      .when(destinationWithdrawn(4, '0xDW'))
      .then({
        projection: {
          htlcState: 'refunded',
          txHashes: { sourceLock: '0xsl', sourceRefund: '0xsource-refund', destinationWithdraw: '0xDW' },
        },
      });
  });

  it('a second refund of the same side keeps the first txHash', () => {
    given(submitted(1), refunded(2, 'source', '0xR1'))
      .when(refunded(3, 'source', '0xR2'))
      .then({ projection: { txHashes: { sourceRefund: '0xR1' } } });
  });
});

describe('idempotent: an eventId already applied changes nothing', () => {
  const history = [
    submitted(1),
    proofRequested(2),
    proofGenerating(3),
    proofGenerated(4),
    proofVerified(5),
    matched(6),
    lockRequested(7),
    sourceLocked(8),
    destinationLocked(9),
    destinationWithdrawn(10),
    refunded(11, 'destination'),
    completed(12, '0xSW'),
    settlement(13),
    failed(14),
    cancelled(15),
    proofFailed(16),
  ];
  it.each(history.map((e, i) => [e.type, i] as const))('a redelivered %s', (_type, i) => {
    given(...history)
      .when(history[i] as IntentEvent)
      .thenNothingChanges();
  });

  it('a redelivered intent.removed of a removed intent', () => {
    const r = removed(3);
    given(submitted(1), r).when(r).thenNothingChanges();
  });

  it('the same eventId with other content is still the duplicate of the first', () => {
    given(submitted(1), matched(2, '0xS1', { eventId: 'dup' }))
      .when(matched(3, '0xS2', { eventId: 'dup' }))
      .thenNothingChanges();
  });

  it('a duplicate right after the first delivery changes nothing (version counts it once)', () => {
    const m = matched(2);
    given(submitted(1), m)
      .when(m)
      .thenNothingChanges()
      .then({ projection: { version: 2 } });
  });

  it('eventIds are remembered per intent: the same id on another intent applies', () => {
    given(submitted(1, { eventId: 'shared' }))
      .when(submitted(1, { eventId: 'shared', intentId: OTHER_ID }))
      .then({ diff: { kind: 'created' }, stats: { total: 2 } });
  });
});

describe('order-tolerant: events before intent.submitted', () => {
  it('intent.matched first: the projection is created from it, MATCHED, announced with intent:new', () => {
    given()
      .when(matched(5, '0xS'))
      .then({
        projection: {
          status: 'MATCHED',
          solver: '0xS',
          fromChain: null,
          toChain: null,
          amount: null,
          createdAt: t(5),
          updatedAt: t(5),
          version: 1,
        },
        formatted: { status: 'matched', fromChain: null, amount: null },
        diff: { kind: 'created', status: null, proof: null, fields: ALL_FIELDS },
        emits: ['intent:status', 'intent:new'],
        stats: { total: 1, matched: 1 },
      });
  });

  it('a proof event first: created at SUBMITTED with the proof change (pending → generating) announced', () => {
    given()
      .when(proofGenerating(2))
      .then({
        projection: { status: 'SUBMITTED', proofStatus: 'generating' },
        diff: { kind: 'created', proof: { from: 'pending', to: 'generating' } },
        emits: ['intent:status', 'intent:new', 'intent:proof', 'intent:proof_changed'],
      });
  });

  it('a settlement proof first: created and the settlement emitted', () => {
    given()
      .when(settlement(2, '0xP'))
      .then({ projection: { status: 'SUBMITTED' }, emits: ['intent:status', 'intent:new', 'intent:settlement_proof'] });
  });

  it('intent.failed first: created directly as FAILED, counted as failed', () => {
    given()
      .when(failed(2, 'E', 'R'))
      .then({ projection: { status: 'FAILED', error: 'E' }, stats: { total: 1, failed: 1, submitted: 0 } });
  });

  it('until intent.submitted is seen, createdAt is the earliest applied occurredAt', () => {
    given(matched(5))
      .when(proofGenerating(3))
      .then({ projection: { createdAt: t(3), updatedAt: t(5) }, diff: { kind: 'updated', fields: ['createdAt', 'version'] } });
  });

  it('then intent.submitted sets createdAt to its own occurredAt, even a later one', () => {
    given(proofGenerating(3), matched(5))
      .when(submitted(4))
      .then({ projection: { createdAt: t(4), updatedAt: t(5), status: 'MATCHED', fromChain: 1 } });
  });

  it('after intent.submitted, an earlier event no longer moves createdAt', () => {
    given(submitted(5))
      .when(proofRequested(2))
      .then({ projection: { createdAt: t(5), updatedAt: t(5), version: 2 } });
  });
});

describe('createdAt, updatedAt, version', () => {
  it('updatedAt is the greatest occurredAt applied, an older event does not lower it', () => {
    given(submitted(1), matched(9))
      .when(proofGenerating(4))
      .then({ projection: { updatedAt: t(9), version: 3 }, diff: { kind: 'updated', fields: ['version'] } });
  });

  it('version counts applied events; duplicates and zombie events are not counted', () => {
    const store = new ProjectionStore();
    const s = submitted(1);
    store.applyAll([s, s, matched(2), proofGenerating(3)]);
    expect(store.get(ID)?.version).toBe(3);
    expect(store.eventsApplied).toBe(3);
  });

  it('a second intent.submitted keeps the first createdAt and updates the chains (same rank)', () => {
    given(submitted(1, { fromChain: 1 }))
      .when(submitted(2, { fromChain: 137 }))
      .then({ projection: { createdAt: t(1), updatedAt: t(2), fromChain: 137 } });
  });
});

describe('removal and no zombies', () => {
  const live = [submitted(1), matched(2), proofVerified(3)];

  it('an event at or before the removal is ignored', () => {
    given(...live, removed(5))
      .when(sourceLocked(4))
      .thenNothingChanges()
      .then({ projection: null, tombstones: 1 });
  });

  it('an event at exactly the removal instant is ignored', () => {
    given(...live, removed(5))
      .when(proofGenerated(5))
      .thenNothingChanges();
  });

  it('an event after the removal starts a new projection, announced with intent:new', () => {
    given(...live, removed(5))
      .when(proofGenerating(6))
      .then({
        projection: { status: 'SUBMITTED', proofStatus: 'generating', solver: null, version: 1, createdAt: t(6) },
        diff: { kind: 'created' },
        emits: ['intent:status', 'intent:new', 'intent:proof', 'intent:proof_changed'],
        stats: { total: 1, submitted: 1, matched: 0 },
        tombstones: 0,
      });
  });

  it('the new projection still refuses events from before the old removal', () => {
    given(...live, removed(5), submitted(6))
      .when(matched(4))
      .thenNothingChanges();
  });

  it('removing an unknown intent emits nothing but refuses its earlier events afterwards', () => {
    const o = given()
      .when(removed(5))
      .then({ projection: null, emits: [], tombstones: 1, stats: { total: 0 } });
    expect(o.diff).toBeNull();
    given(removed(5)).when(submitted(3)).thenNothingChanges();
  });

  it('a second removal emits nothing and moves the cut-off to the later instant', () => {
    given(...live, removed(5))
      .when(removed(8))
      .thenNothingChanges();
    given(...live, removed(5), removed(8))
      .when(submitted(7))
      .thenNothingChanges();
  });

  it('a removal and its re-creation are two diffs: removed, then created', () => {
    const store = new ProjectionStore();
    const kinds: string[] = [];
    store.applyAll([...live, removed(5), submitted(6), removed(7), submitted(8)], (d) => kinds.push(d.kind));
    expect(kinds).toEqual(['created', 'updated', 'updated', 'removed', 'created', 'removed', 'created']);
    expect(store.size).toBe(1);
    expect(store.tombstones).toBe(0);
  });
});
