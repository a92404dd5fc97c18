/**
 * Every row of the server → client table of docs/contract.md § Socket.IO, over the real socket.io-client on
 * websocket and on polling: who receives what, when, with exactly which payload. Every payload a
 * client receives is also validated against the zod schema of src/contract/socket.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FormattedIntent, ProofPayload } from '../../src/contract/socket.js';
import { payloadProblems } from './payload-validation.js';
import {
  FIXED_NOW,
  TRANSPORTS,
  barrier,
  emitAck,
  id,
  nextEvent,
  record,
  startHarness,
  wire,
  type Harness,
  type Recorder,
} from '../support/transport-harness.js';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const A = id(0xa11ce);
const SOLVER = '0x52908400098527886E0F7030069857D2E4169EE7';
/** any position: positions have their own tests (test/transport/resume.test.ts) */
const P = expect.any(String) as unknown as string;

/** The formatted intent after `intent.submitted` at t=0 (1 → 10, "1000"), with overrides. */
function formatted(overrides: Partial<FormattedIntent>): FormattedIntent {
  return {
    intentId: A,
    status: 'proofs_pending',
    proofStatus: 'pending',
    solver: null,
    fromChain: 1,
    toChain: 10,
    amount: '1000',
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
    position: P,
    timestamp: FIXED_NOW,
    ...overrides,
  };
}

/** Every recorded payload matches the zod schema and the JSON Schema (schemas/) of its event. */
function expectAllValid(rec: Recorder): void {
  expect(rec.all.length).toBeGreaterThan(0);
  for (const { event, payload } of rec.all) {
    expect(payloadProblems(event, payload), `${event} ${JSON.stringify(payload)}`).toEqual([]);
  }
}

describe.each(TRANSPORTS)('socket contract over %s', (transport) => {
  let h: Harness;

  beforeEach(async () => {
    // A long stats interval keeps room broadcasts of mempool:stats out of the step-by-step checks
    // (coalescing has its own tests); subscribe:all still answers mempool:stats at once.
    h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '3600000' } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('subscribe:intent → intent:status to the subscriber when the intent exists (any case accepted)', async () => {
    await h.feed([wire('intent.submitted', A.toUpperCase().replace('0X', '0x'), at(0), { fromChain: 1, toChain: 10, amount: '1000' })]);
    const c = await h.connect(transport);
    const rec = record(c);
    const status = nextEvent(c, 'intent:status');
    const ack = await emitAck(c, 'subscribe:intent', A.toUpperCase().replace('0X', '0x'));
    expect(ack).toEqual({ ok: true });
    expect(await status).toStrictEqual(formatted({}));
    expect(rec.names()).toEqual(['intent:status']);
    expectAllValid(rec);
  });

  it('subscribe:intent → intent:not_found {intentId} when the intent does not exist; the socket stays in the room', async () => {
    const c = await h.connect(transport);
    const rec = record(c);
    const notFound = nextEvent(c, 'intent:not_found');
    expect(await emitAck(c, 'subscribe:intent', A)).toEqual({ ok: true });
    expect(await notFound).toStrictEqual({ intentId: A });

    h.now = FIXED_NOW + 5;
    const status = nextEvent(c, 'intent:status');
    await h.feed([wire('intent.submitted', A, at(0), { fromChain: 1, toChain: 10, amount: '1000' })]);
    expect(await status).toStrictEqual(formatted({ timestamp: FIXED_NOW + 5 }));
    expect(rec.names()).toEqual(['intent:not_found', 'intent:status']);
    expectAllValid(rec);
  });

  it('subscribe:all → mempool:stats to the subscriber at once', async () => {
    await h.feed([
      wire('intent.submitted', id(1), at(0), { fromChain: 1, toChain: 2, amount: '1' }),
      wire('intent.submitted', id(2), at(0), { fromChain: 1, toChain: 2, amount: '1' }),
      wire('intent.matched', id(2), at(1), { solver: SOLVER }),
      wire('intent.failed', id(3), at(2), { error: 'e', failureReason: 'r' }),
    ]);
    const c = await h.connect(transport);
    const rec = record(c);
    const stats = nextEvent(c, 'mempool:stats');
    expect(await emitAck(c, 'subscribe:all')).toEqual({ ok: true });
    expect(await stats).toStrictEqual({ total: 3, submitted: 1, matched: 1, executing: 0, completed: 0, failed: 1, cancelled: 0 });
    expectAllValid(rec);
  });

  it('ping → pong {timestamp} to the sender', async () => {
    const c = await h.connect(transport);
    h.now = FIXED_NOW + 42;
    const pong = nextEvent(c, 'pong');
    expect(await emitAck(c, 'ping')).toEqual({ ok: true });
    expect(await pong).toStrictEqual({ timestamp: FIXED_NOW + 42 });
    const again = nextEvent(c, 'pong');
    c.emit('ping'); // without an ack callback
    expect(await again).toStrictEqual({ timestamp: FIXED_NOW + 42 });
    expect(payloadProblems('pong', await again)).toEqual([]);
  });

  it('a whole lifecycle: each change reaches the intent room and the all-intents room with exact payloads', async () => {
    const room = await h.connect(transport);
    const all = await h.connect(transport);
    const other = await h.connect(transport); // subscribed to another intent: receives none of A's events
    const roomRec = record(room);
    const allRec = record(all);
    const otherRec = record(other);
    expect(await emitAck(room, 'subscribe:intent', A)).toEqual({ ok: true });
    expect(await emitAck(all, 'subscribe:all')).toEqual({ ok: true });
    expect(await emitAck(other, 'subscribe:intent', id(0xb0b))).toEqual({ ok: true });
    await Promise.all([barrier(room), barrier(all), barrier(other)]);

    /** Feeds events at emission time `now`; returns what each client received meanwhile. */
    let n = 0;
    const step = async (...events: Parameters<Harness['feed']>[0]) => {
      const fromRoom = roomRec.all.length;
      const fromAll = allRec.all.length;
      h.now = FIXED_NOW + ++n;
      await h.feed(events);
      await Promise.all([barrier(room), barrier(all)]);
      const strip = (r: { event: string; payload: unknown }[]) =>
        r.filter((x) => x.event !== 'pong').map((x) => [x.event, x.payload] as const);
      return { room: strip(roomRec.all.slice(fromRoom)), all: strip(allRec.all.slice(fromAll)), now: h.now };
    };

    // 1. created → intent:status (room), intent:new (all)
    let s = await step(wire('intent.submitted', A, at(0), { fromChain: 1, toChain: 10, amount: '1000' }));
    let f = formatted({ timestamp: s.now });
    expect(s.room).toStrictEqual([['intent:status', f]]);
    expect(s.all).toStrictEqual([['intent:new', f]]);

    // 2. proof status changed → intent:proof (room), intent:proof_changed (all); no status_changed
    s = await step(wire('proof.generating', A, at(1)));
    f = formatted({ proofStatus: 'generating', updatedAt: at(1), version: 2, timestamp: s.now });
    let proof: ProofPayload = {
      intentId: A,
      proofStatus: 'generating',
      oldProofStatus: 'pending',
      proofGeneratedAt: null,
      position: P,
      timestamp: s.now,
    };
    expect(s.room).toStrictEqual([
      ['intent:status', f],
      ['intent:proof', proof],
    ]);
    expect(s.all).toStrictEqual([['intent:proof_changed', proof]]);

    // 3. proof generated, with its own proofGeneratedAt
    s = await step(wire('proof.generated', A, at(3), { proofGeneratedAt: at(2) }));
    f = formatted({ proofStatus: 'generated', updatedAt: at(3), version: 3, timestamp: s.now });
    proof = { intentId: A, proofStatus: 'generated', oldProofStatus: 'generating', proofGeneratedAt: at(2), position: P, timestamp: s.now };
    expect(s.room).toStrictEqual([
      ['intent:status', f],
      ['intent:proof', proof],
    ]);
    expect(s.all).toStrictEqual([['intent:proof_changed', proof]]);

    // 4. proofs verified → normalized status proofs_verified
    s = await step(wire('proof.verified', A, at(4)));
    f = formatted({ status: 'proofs_verified', proofStatus: 'verified', updatedAt: at(4), version: 4, timestamp: s.now });
    proof = { intentId: A, proofStatus: 'verified', oldProofStatus: 'generated', proofGeneratedAt: at(2), position: P, timestamp: s.now };
    expect(s.room).toStrictEqual([
      ['intent:status', f],
      ['intent:proof', proof],
    ]);
    expect(s.all).toStrictEqual([['intent:proof_changed', proof]]);

    // 5. matched → internal status changed: intent:status_changed with oldStatus SUBMITTED (internal enum)
    s = await step(wire('intent.matched', A, at(5), { solver: SOLVER }));
    const matched = { status: 'matched', proofStatus: 'verified', solver: SOLVER, matchedAt: at(5) } as const;
    f = formatted({ ...matched, updatedAt: at(5), version: 5, timestamp: s.now });
    expect(s.room).toStrictEqual([['intent:status', f]]);
    expect(s.all).toStrictEqual([['intent:status_changed', { ...f, oldStatus: 'SUBMITTED' }]]);

    // 6. source lock requested: frontend status changes, internal does not → no status_changed
    s = await step(wire('intent.source_lock_requested', A, at(6)));
    f = formatted({
      ...matched,
      status: 'waiting_for_source_lock',
      htlcState: 'awaiting_source_lock',
      updatedAt: at(6),
      version: 6,
      position: P,
      timestamp: s.now,
    });
    expect(s.room).toStrictEqual([['intent:status', f]]);
    expect(s.all).toStrictEqual([]);

    // 7. source locked → EXECUTING
    s = await step(wire('intent.source_locked', A, at(7), { txHash: '0xs1' }));
    const executing = { ...matched, status: 'executing', htlcState: 'source_locked', txHashes: { sourceLock: '0xs1' } } as const;
    f = formatted({ ...executing, updatedAt: at(7), version: 7, timestamp: s.now });
    expect(s.room).toStrictEqual([['intent:status', f]]);
    expect(s.all).toStrictEqual([['intent:status_changed', { ...f, oldStatus: 'MATCHED' }]]);

    // 8. destination locked and withdrawn in one batch: one intent:status per applied event
    s = await step(
      wire('intent.destination_locked', A, at(8), { txHash: '0xd1' }),
      wire('intent.destination_withdrawn', A, at(9), { txHash: '0xd2' }),
    );
    const f8 = formatted({
      ...executing,
      htlcState: 'destination_locked',
      txHashes: { sourceLock: '0xs1', destinationLock: '0xd1' },
      updatedAt: at(8),
      version: 8,
      position: P,
      timestamp: s.now,
    });
    const hashes9 = { sourceLock: '0xs1', destinationLock: '0xd1', destinationWithdraw: '0xd2' };
    const f9 = formatted({
      ...executing,
      htlcState: 'destination_withdrawn',
      txHashes: hashes9,
      updatedAt: at(9),
      version: 9,
      position: P,
      timestamp: s.now,
    });
    expect(s.room).toStrictEqual([
      ['intent:status', f8],
      ['intent:status', f9],
    ]);
    expect(s.all).toStrictEqual([]);

    // 9. settlement proof → intent:settlement_proof to the room (and the changed projection)
    s = await step(wire('proof.settlement_generated', A, at(10), { proof: '0xproofbytes', verifier: '0xverifier' }));
    f = formatted({
      ...executing,
      htlcState: 'destination_withdrawn',
      txHashes: hashes9,
      updatedAt: at(10),
      version: 10,
      position: P,
      timestamp: s.now,
    });
    expect(s.room).toStrictEqual([
      ['intent:status', f],
      [
        'intent:settlement_proof',
        { intentId: A, proof: '0xproofbytes', verifier: '0xverifier', generatedAt: at(10), position: P, timestamp: s.now },
      ],
    ]);
    expect(s.all).toStrictEqual([]);

    // 10. completed → COMPLETED, oldStatus EXECUTING
    s = await step(wire('intent.completed', A, at(11), { txHash: '0xs2' }));
    f = formatted({
      ...executing,
      status: 'completed',
      htlcState: 'source_withdrawn',
      txHashes: { ...hashes9, sourceWithdraw: '0xs2' },
      completedAt: at(11),
      updatedAt: at(11),
      version: 11,
      position: P,
      timestamp: s.now,
    });
    expect(s.room).toStrictEqual([['intent:status', f]]);
    expect(s.all).toStrictEqual([['intent:status_changed', { ...f, oldStatus: 'EXECUTING' }]]);

    // 11. removed → intent:removed to both rooms
    s = await step(wire('intent.removed', A, at(12)));
    expect(s.room).toStrictEqual([['intent:removed', { intentId: A, position: P, timestamp: s.now }]]);
    expect(s.all).toStrictEqual([['intent:removed', { intentId: A, position: P, timestamp: s.now }]]);

    // the socket subscribed to another intent saw nothing but its own answers
    await barrier(other);
    expect(otherRec.names()).toEqual(['intent:not_found', 'pong', 'pong']);
    expectAllValid(roomRec);
    expectAllValid(allRec);
    expectAllValid(otherRec);
  });

  it('settlement proof without a verifier carries verifier null', async () => {
    await h.feed([wire('intent.submitted', A, at(0), { fromChain: 1, toChain: 10, amount: '1000' })]);
    const c = await h.connect(transport);
    const rec = record(c);
    await emitAck(c, 'subscribe:intent', A);
    const settlement = nextEvent(c, 'intent:settlement_proof');
    await h.feed([wire('proof.settlement_generated', A, at(1), { proof: 'p' })]);
    expect(await settlement).toStrictEqual({
      intentId: A,
      proof: 'p',
      verifier: null,
      generatedAt: at(1),
      position: P,
      timestamp: FIXED_NOW,
    });
    expectAllValid(rec);
  });

  it('subscribe:intent on an intent with a settlement proof → intent:status, then the latest intent:settlement_proof', async () => {
    await h.feed([
      wire('intent.submitted', A, at(0), { fromChain: 1, toChain: 10, amount: '1000', user: '0xWALLET' }),
      wire('proof.settlement_generated', A, at(2), { proof: '0xLATEST', verifier: '0xV' }),
      wire('proof.settlement_generated', A, at(1), { proof: '0xOLDER' }),
    ]);
    const c = await h.connect(transport);
    const rec = record(c);
    expect(await emitAck(c, 'subscribe:intent', A)).toEqual({ ok: true });
    await barrier(c);
    expect(rec.all.filter((r) => r.event !== 'pong').map((r) => [r.event, r.payload])).toStrictEqual([
      ['intent:status', formatted({ user: '0xWALLET', updatedAt: at(2), version: 3 })],
      [
        'intent:settlement_proof',
        { intentId: A, proof: '0xLATEST', verifier: '0xV', generatedAt: at(2), position: P, timestamp: FIXED_NOW },
      ],
    ]);
    expectAllValid(rec);
  });

  it('an intent created by a proof event is announced with intent:new and its proof change', async () => {
    const all = await h.connect(transport);
    const rec = record(all);
    await emitAck(all, 'subscribe:all');
    await h.feed([wire('proof.generating', A, at(3))]);
    await barrier(all);
    const f = formatted({ proofStatus: 'generating', fromChain: null, toChain: null, amount: null, createdAt: at(3), updatedAt: at(3) });
    expect(rec.all.filter((r) => r.event !== 'pong' && r.event !== 'mempool:stats').map((r) => [r.event, r.payload])).toStrictEqual([
      ['intent:new', f],
      [
        'intent:proof_changed',
        { intentId: A, proofStatus: 'generating', oldProofStatus: 'pending', proofGeneratedAt: null, position: P, timestamp: FIXED_NOW },
      ],
    ]);
    expectAllValid(rec);
  });

  it('failed and cancelled carry error / failureReason and oldStatus', async () => {
    const B = id(0xb);
    const all = await h.connect(transport);
    const rec = record(all);
    await emitAck(all, 'subscribe:all');
    await h.feed([
      wire('intent.submitted', A, at(0), { fromChain: 1, toChain: 10, amount: '1000' }),
      wire('intent.failed', A, at(1), { error: 'solver timeout', failureReason: 'NO_SOLVER' }),
      wire('intent.submitted', B, at(0), { fromChain: 1, toChain: 10, amount: '1000' }),
      wire('intent.cancelled', B, at(2), { reason: 'user request' }),
    ]);
    await barrier(all);
    const changed = rec.of('intent:status_changed');
    expect(changed).toStrictEqual([
      {
        ...formatted({ status: 'failed', error: 'solver timeout', failureReason: 'NO_SOLVER', updatedAt: at(1), version: 2 }),
        oldStatus: 'SUBMITTED',
      },
      {
        ...formatted({ intentId: B, status: 'cancelled', failureReason: 'user request', updatedAt: at(2), version: 2 }),
        oldStatus: 'SUBMITTED',
      },
    ]);
    expectAllValid(rec);
  });
});

describe('payload validation', () => {
  it('rejects payloads that break the contract (the checks above can fail)', () => {
    expect(payloadProblems('intent:removed', { intentId: A, position: 'AQ', timestamp: 1 })).toEqual([]);
    expect(payloadProblems('intent:removed', { intentId: A.toUpperCase(), position: 'AQ', timestamp: 1 })).toHaveLength(2);
    expect(payloadProblems('intent:removed', { intentId: A, position: 'AQ', timestamp: 1, extra: true })).toHaveLength(2);
    expect(payloadProblems('intent:status_changed', { ...formatted({}), oldStatus: 'proofs_pending' })).toHaveLength(2);
    expect(payloadProblems('mempool:stats', { total: 1 })).toHaveLength(2);
    expect(payloadProblems('intent:unknown', {})).toHaveLength(1);
  });
});
