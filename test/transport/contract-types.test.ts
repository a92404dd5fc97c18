/**
 * The event types the package exports (src/index.ts) are the contract of section 4: checked at
 * compile time by `tsc --noEmit` (npm run typecheck covers test/) and at run time by vitest.
 */
import type { Server } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ALL_INTENTS_ROOM,
  ERROR_CODES,
  createTransport,
  emissionsFor,
  intentRoom,
  loadConfig,
  Pipeline,
  ProjectionStore,
  startService,
  type Ack,
  type AckCallback,
  type ClientToServerEvents,
  type Emission,
  type ErrorCode,
  type ErrorPayload,
  type FormattedIntent,
  type HandshakeRefusal,
  type IntentFilter,
  type InternalStatus,
  type MempoolStatsPayload,
  type NotFoundPayload,
  type PongPayload,
  type ProofPayload,
  type ProofStatus,
  type RemovedPayload,
  type ServerToClientEvents,
  type SettlementProofPayload,
  type StatusChangedPayload,
  type SocketTransport,
  type SubscribeOptions,
} from '../../src/index.js';

type P<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

describe('exported contract types', () => {
  it('server → client events carry the payload types of section 4', () => {
    expectTypeOf<keyof ServerToClientEvents>().toEqualTypeOf<
      | 'intent:status'
      | 'intent:not_found'
      | 'intent:proof'
      | 'intent:settlement_proof'
      | 'intent:new'
      | 'intent:status_changed'
      | 'intent:proof_changed'
      | 'intent:removed'
      | 'mempool:stats'
      | 'pong'
      | 'error'
    >();
    expectTypeOf<P<'intent:status'>>().toEqualTypeOf<FormattedIntent>();
    expectTypeOf<P<'intent:new'>>().toEqualTypeOf<FormattedIntent>();
    expectTypeOf<P<'intent:status_changed'>>().toEqualTypeOf<StatusChangedPayload>();
    expectTypeOf<P<'intent:not_found'>>().toEqualTypeOf<NotFoundPayload>();
    expectTypeOf<P<'intent:proof'>>().toEqualTypeOf<ProofPayload>();
    expectTypeOf<P<'intent:proof_changed'>>().toEqualTypeOf<ProofPayload>();
    expectTypeOf<P<'intent:settlement_proof'>>().toEqualTypeOf<SettlementProofPayload>();
    expectTypeOf<P<'intent:removed'>>().toEqualTypeOf<RemovedPayload>();
    expectTypeOf<P<'mempool:stats'>>().toEqualTypeOf<MempoolStatsPayload>();
    expectTypeOf<P<'pong'>>().toEqualTypeOf<PongPayload>();
    expectTypeOf<P<'error'>>().toEqualTypeOf<ErrorPayload>();
  });

  it('payload fields have the documented types', () => {
    expectTypeOf<FormattedIntent>().toHaveProperty('intentId').toEqualTypeOf<string>();
    expectTypeOf<FormattedIntent>()
      .toHaveProperty('status')
      .toEqualTypeOf<
        'proofs_pending' | 'proofs_verified' | 'matched' | 'waiting_for_source_lock' | 'executing' | 'completed' | 'failed' | 'cancelled'
      >();
    expectTypeOf<FormattedIntent>().toHaveProperty('proofStatus').toEqualTypeOf<ProofStatus>();
    expectTypeOf<FormattedIntent>().toHaveProperty('fromChain').toEqualTypeOf<number | null>();
    expectTypeOf<FormattedIntent>().toHaveProperty('amount').toEqualTypeOf<string | null>();
    expectTypeOf<FormattedIntent>().toHaveProperty('createdAt').toEqualTypeOf<string | null>();
    expectTypeOf<FormattedIntent>().toHaveProperty('timestamp').toEqualTypeOf<number>();
    expectTypeOf<FormattedIntent>().toHaveProperty('txHashes').toHaveProperty('sourceLock').toEqualTypeOf<string | undefined>();
    expectTypeOf<StatusChangedPayload>().toHaveProperty('oldStatus').toEqualTypeOf<InternalStatus>();
    expectTypeOf<StatusChangedPayload>().toMatchTypeOf<FormattedIntent>();
    expectTypeOf<ProofPayload>().toHaveProperty('oldProofStatus').toEqualTypeOf<ProofStatus>();
    expectTypeOf<ProofPayload>().toHaveProperty('proofGeneratedAt').toEqualTypeOf<string | null>();
    expectTypeOf<SettlementProofPayload>().toHaveProperty('verifier').toEqualTypeOf<string | null>();
    expectTypeOf<ErrorPayload>().toHaveProperty('code').toEqualTypeOf<ErrorCode>();
    expectTypeOf<ErrorCode>().toEqualTypeOf<
      | 'INVALID_INTENT_ID'
      | 'INVALID_PAYLOAD'
      | 'UNAUTHORIZED'
      | 'TOO_MANY_SUBSCRIPTIONS'
      | 'RATE_LIMITED'
      | 'SLOW_CONSUMER'
      | 'TOO_MANY_CONNECTIONS'
    >();
    expectTypeOf<HandshakeRefusal>().toEqualTypeOf<{
      code: 'TOO_MANY_CONNECTIONS';
      message: string;
      limit: 'per_ip' | 'total' | 'fd_limit';
    }>();
    expectTypeOf<Ack>().toEqualTypeOf<{ ok: true; recovered?: boolean } | { ok: false; code: ErrorCode; message: string }>();
    expectTypeOf<FormattedIntent>().toHaveProperty('position').toEqualTypeOf<string>();
    expectTypeOf<FormattedIntent>().toHaveProperty('user').toEqualTypeOf<string | null>();
    expectTypeOf<ProofPayload>().toHaveProperty('position').toEqualTypeOf<string>();
    expectTypeOf<SettlementProofPayload>().toHaveProperty('position').toEqualTypeOf<string>();
    expectTypeOf<RemovedPayload>().toHaveProperty('position').toEqualTypeOf<string>();
  });

  it('client → server events: the five of the reference, filters, each with an optional {since} and ack', () => {
    expectTypeOf<keyof ClientToServerEvents>().toEqualTypeOf<
      'subscribe:intent' | 'unsubscribe:intent' | 'subscribe:all' | 'unsubscribe:all' | 'subscribe:intents' | 'unsubscribe:intents' | 'ping'
    >();
    expectTypeOf<ClientToServerEvents['subscribe:intent']>().parameters.toEqualTypeOf<
      [intentId: string, ack?: AckCallback] | [intentId: string, options: SubscribeOptions, ack?: AckCallback]
    >();
    expectTypeOf<ClientToServerEvents['unsubscribe:intent']>().parameters.toEqualTypeOf<[intentId: string, ack?: AckCallback]>();
    expectTypeOf<ClientToServerEvents['subscribe:all']>().parameters.toEqualTypeOf<
      [ack?: AckCallback] | [options: SubscribeOptions, ack?: AckCallback]
    >();
    expectTypeOf<ClientToServerEvents['subscribe:intents']>().parameters.toEqualTypeOf<
      [filter: IntentFilter, ack?: AckCallback] | [filter: IntentFilter, options: SubscribeOptions, ack?: AckCallback]
    >();
    expectTypeOf<ClientToServerEvents['unsubscribe:intents']>().parameters.toEqualTypeOf<[filter: IntentFilter, ack?: AckCallback]>();
    expectTypeOf<ClientToServerEvents['ping']>().parameters.toEqualTypeOf<[ack?: AckCallback]>();
    expectTypeOf<SubscribeOptions>().toEqualTypeOf<{ since?: string | undefined }>();
    expectTypeOf<IntentFilter>().toEqualTypeOf<{
      user?: string | undefined;
      solver?: string | undefined;
      fromChain?: number | undefined;
      toChain?: number | undefined;
    }>();
  });

  it('the server is a typed Server<ClientToServerEvents, ServerToClientEvents>, usable with a typed client', () => {
    expectTypeOf<SocketTransport['io']>().toEqualTypeOf<Server<ClientToServerEvents, ServerToClientEvents>>();
    expectTypeOf(createTransport).returns.toEqualTypeOf<SocketTransport>();
    type TypedClient = ClientSocket<ServerToClientEvents, ClientToServerEvents>;
    expectTypeOf<TypedClient['emit']>().toBeFunction();
    // a typed client cannot subscribe with a number
    const check = (c: TypedClient): void => {
      // @ts-expect-error intentId must be a string
      c.emit('subscribe:intent', 42);
      c.emit('subscribe:intent', '0x00');
      c.emit('subscribe:intent', '0x00', { since: 'AQ' }, (ack) => ack.ok);
      c.emit('subscribe:intents', { user: '0xME' }, { since: 'AQ' });
      // @ts-expect-error a filter field has its type
      c.emit('subscribe:intents', { fromChain: '1' });
    };
    expect(typeof check).toBe('function');
  });

  it('exports the building blocks and the contract constants', () => {
    expect(ERROR_CODES).toEqual([
      'INVALID_INTENT_ID',
      'INVALID_PAYLOAD',
      'UNAUTHORIZED',
      'TOO_MANY_SUBSCRIPTIONS',
      'RATE_LIMITED',
      'SLOW_CONSUMER',
      'TOO_MANY_CONNECTIONS',
    ]);
    expect(ALL_INTENTS_ROOM).toBe('all-intents');
    expect(intentRoom('0xab')).toBe('intent:0xab');
    for (const f of [createTransport, startService, loadConfig, emissionsFor]) expect(typeof f).toBe('function');
    expect(new ProjectionStore().size).toBe(0);
    expect(typeof Pipeline).toBe('function');
    expectTypeOf(emissionsFor).returns.toEqualTypeOf<Emission[]>();
    expectTypeOf<Extract<Emission, { event: 'intent:status_changed' }>['payload']>().toEqualTypeOf<
      Omit<StatusChangedPayload, 'position'>
    >();
  });
});
