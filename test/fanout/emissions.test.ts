/**
 * emissionsFor(diff, timestamp): which event goes to which room with which payload, for every
 * kind of change (docs/contract.md § Socket.IO). Diffs come from the real reducer (ProjectionStore).
 */
import { describe, expect, it } from 'vitest';
import { intentEventSchema, type IntentEventInput } from '../../src/contract/events.js';
import { ALL_INTENTS_ROOM, intentRoom, serverEventSchemas, type FormattedIntent } from '../../src/contract/socket.js';
import { emissionsFor, type Emission } from '../../src/fanout/emissions.js';
import type { Diff } from '../../src/reduce/diff.js';
import { ProjectionStore } from '../../src/reduce/store.js';

const A = `0x${'ab'.repeat(32)}`;
const ROOM = intentRoom(A);
const NOW = 1_900_000_000_000;
const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
let seq = 0;
const ev = (type: IntentEventInput['type'], s: number, data?: unknown): IntentEventInput =>
  ({ eventId: `e${++seq}`, type, intentId: A, occurredAt: at(s), data }) as IntentEventInput;

/** Applies events; returns the emissions of the last one (at NOW). */
function emissionsOfLast(store: ProjectionStore, ...events: IntentEventInput[]): Emission[] {
  let diff: Diff | null = null;
  for (const e of events) diff = store.apply(intentEventSchema.parse(e));
  if (diff === null) throw new Error('the last event changed nothing');
  const out = emissionsFor(diff, NOW);
  // the payload is complete but for its position (added on delivery, see stream.ts)
  for (const e of out) expect(serverEventSchemas[e.event].safeParse({ ...e.payload, position: 'AQ' }).success, e.event).toBe(true);
  return out;
}

const shape = (es: Emission[]) => es.map((e) => [e.event, e.rooms]);

const base: Omit<FormattedIntent, 'position'> = {
  intentId: A,
  status: 'proofs_pending',
  proofStatus: 'pending',
  solver: null,
  fromChain: 1,
  toChain: 2,
  amount: '10',
  createdAt: at(0),
  updatedAt: at(0),
  matchedAt: null,
  completedAt: null,
  htlcState: 'none',
  txHashes: {},
  error: null,
  failureReason: null,
  version: 1,
  user: null,
  timestamp: NOW,
};
const submitted = () => ev('intent.submitted', 0, { fromChain: 1, toChain: 2, amount: '10' });

describe('emissionsFor', () => {
  it('created: intent:status to the intent room and intent:new to the all-intents room, same payload', () => {
    const out = emissionsOfLast(new ProjectionStore(), submitted());
    expect(shape(out)).toEqual([
      ['intent:status', [ROOM]],
      ['intent:new', [ALL_INTENTS_ROOM]],
    ]);
    expect(out[0]!.payload).toStrictEqual(base);
    expect(out[1]!.payload).toStrictEqual(base);
  });

  it('created by a proof event: also intent:proof and intent:proof_changed (from the initial pending), no status_changed', () => {
    const out = emissionsOfLast(new ProjectionStore(), ev('proof.generating', 3));
    expect(shape(out)).toEqual([
      ['intent:status', [ROOM]],
      ['intent:new', [ALL_INTENTS_ROOM]],
      ['intent:proof', [ROOM]],
      ['intent:proof_changed', [ALL_INTENTS_ROOM]],
    ]);
    const proof = { intentId: A, proofStatus: 'generating', oldProofStatus: 'pending', proofGeneratedAt: null, timestamp: NOW };
    expect(out[2]!.payload).toStrictEqual(proof);
    expect(out[3]!.payload).toStrictEqual(proof);
  });

  it('created by a non-submit lifecycle event (other status): intent:new only, never status_changed', () => {
    const out = emissionsOfLast(new ProjectionStore(), ev('intent.matched', 2, { solver: 'S' }));
    expect(shape(out)).toEqual([
      ['intent:status', [ROOM]],
      ['intent:new', [ALL_INTENTS_ROOM]],
    ]);
    expect(out[1]!.payload).toMatchObject({ status: 'matched', solver: 'S', fromChain: null, createdAt: at(2) });
  });

  it('updated without an internal status change: intent:status only', () => {
    const out = emissionsOfLast(
      new ProjectionStore(),
      submitted(),
      ev('intent.matched', 1, { solver: 'S' }),
      ev('intent.source_lock_requested', 2),
    );
    expect(shape(out)).toEqual([['intent:status', [ROOM]]]);
    expect(out[0]!.payload).toMatchObject({ status: 'waiting_for_source_lock', htlcState: 'awaiting_source_lock', version: 3 });
  });

  it('internal status change: intent:status and intent:status_changed with oldStatus, the internal enum before', () => {
    const out = emissionsOfLast(
      new ProjectionStore(),
      submitted(),
      ev('intent.matched', 1, { solver: 'S' }),
      ev('intent.source_locked', 2, { txHash: '0x1' }),
    );
    expect(shape(out)).toEqual([
      ['intent:status', [ROOM]],
      ['intent:status_changed', [ALL_INTENTS_ROOM]],
    ]);
    const formatted = {
      ...base,
      status: 'executing',
      solver: 'S',
      matchedAt: at(1),
      updatedAt: at(2),
      htlcState: 'source_locked',
      txHashes: { sourceLock: '0x1' },
      version: 3,
    };
    expect(out[0]!.payload).toStrictEqual(formatted);
    expect(out[1]!.payload).toStrictEqual({ ...formatted, oldStatus: 'MATCHED' });
  });

  it('proof status change: intent:status, intent:proof to the room, intent:proof_changed to all', () => {
    const out = emissionsOfLast(
      new ProjectionStore(),
      submitted(),
      ev('proof.generating', 1),
      ev('proof.generated', 3, { proofGeneratedAt: at(2) }),
    );
    expect(shape(out)).toEqual([
      ['intent:status', [ROOM]],
      ['intent:proof', [ROOM]],
      ['intent:proof_changed', [ALL_INTENTS_ROOM]],
    ]);
    const proof = { intentId: A, proofStatus: 'generated', oldProofStatus: 'generating', proofGeneratedAt: at(2), timestamp: NOW };
    expect(out[1]!.payload).toStrictEqual(proof);
    expect(out[2]!.payload).toStrictEqual(proof);
  });

  it('a stale proof event (no proof status change) emits no intent:proof', () => {
    const out = emissionsOfLast(new ProjectionStore(), submitted(), ev('proof.verified', 1), ev('proof.generating', 2));
    expect(shape(out)).toEqual([['intent:status', [ROOM]]]);
    expect(out[0]!.payload).toMatchObject({ status: 'proofs_verified', proofStatus: 'verified' });
  });

  it('settlement proof: intent:status and intent:settlement_proof to the room only', () => {
    const out = emissionsOfLast(new ProjectionStore(), submitted(), ev('proof.settlement_generated', 1, { proof: '0xp', verifier: '0xv' }));
    expect(shape(out)).toEqual([
      ['intent:status', [ROOM]],
      ['intent:settlement_proof', [ROOM]],
    ]);
    expect(out[1]!.payload).toStrictEqual({ intentId: A, proof: '0xp', verifier: '0xv', generatedAt: at(1), timestamp: NOW });
    const noVerifier = emissionsOfLast(new ProjectionStore(), submitted(), ev('proof.settlement_generated', 1, { proof: '0xp' }));
    expect(noVerifier[1]!.payload).toStrictEqual({ intentId: A, proof: '0xp', verifier: null, generatedAt: at(1), timestamp: NOW });
  });

  it('removed: one intent:removed to the intent room and the all-intents room, with the emission time', () => {
    const out = emissionsOfLast(new ProjectionStore(), submitted(), ev('intent.removed', 5, { reason: 'expired' }));
    expect(out).toStrictEqual([
      { rooms: [ROOM, ALL_INTENTS_ROOM], event: 'intent:removed', payload: { intentId: A, timestamp: NOW }, intent: expect.anything() },
    ]);
    expect(out[0]!.intent).toMatchObject({ intentId: A, version: 1 });
  });

  it('the emission time is the timestamp parameter, not the event time', () => {
    const store = new ProjectionStore();
    const diff = store.apply(intentEventSchema.parse(submitted()))!;
    for (const e of emissionsFor(diff, 123)) expect((e.payload as { timestamp: number }).timestamp).toBe(123);
  });
});
