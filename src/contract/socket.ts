/**
 * The Socket.IO contract (docs/contract.md § Socket.IO), one module for
 * the server and for frontends: `import type { ServerToClientEvents } from 'intent-projector/contract'`.
 * The zod schemas describe every server payload; `npm run schemas` writes them to `schemas/`.
 */
import { z } from 'zod';
import { FRONTEND_STATUSES, HTLC_STATES, INTERNAL_STATUSES, PROOF_STATUSES } from './status.js';

const isoOrNull = z.string().nullable().describe('ISO-8601 instant or null');
const timestamp = z.number().int().describe('emission time, epoch milliseconds');
/**
 * Opaque: how far the input stream had got when the emission was made, in Kafka coordinates, so
 * it means the same on every node (docs/resume.md). Pass the last one received as `{since}`.
 */
export const positionSchema = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[A-Za-z0-9_-]+$/)
  .describe('opaque stream position (base64url); resume with subscribe:* {since: position}');
const position = positionSchema;
const intentId = z
  .string()
  .regex(/^0x[0-9a-f]{64}$/)
  .describe('lower-cased intent id');

export const txHashesSchema = z
  .object({
    sourceLock: z.string().optional(),
    destinationLock: z.string().optional(),
    destinationWithdraw: z.string().optional(),
    sourceWithdraw: z.string().optional(),
    sourceRefund: z.string().optional(),
    destinationRefund: z.string().optional(),
  })
  .strict()
  .describe('only the keys seen');

export const formattedIntentSchema = z
  .object({
    intentId,
    status: z.enum(FRONTEND_STATUSES),
    proofStatus: z.enum(PROOF_STATUSES),
    solver: z.string().nullable(),
    fromChain: z.number().int().nullable(),
    toChain: z.number().int().nullable(),
    amount: z.string().nullable(),
    createdAt: isoOrNull,
    updatedAt: isoOrNull,
    matchedAt: isoOrNull,
    completedAt: isoOrNull,
    htlcState: z.enum(HTLC_STATES),
    txHashes: txHashesSchema,
    error: z.string().nullable(),
    failureReason: z.string().nullable(),
    version: z.number().int().positive(),
    user: z.string().nullable().describe('data.user of intent.submitted, or null'),
    position,
    timestamp,
  })
  .strict();

export const statusChangedSchema = formattedIntentSchema
  .extend({ oldStatus: z.enum(INTERNAL_STATUSES).describe('internal enum value before the change') })
  .strict();

export const proofPayloadSchema = z
  .object({
    intentId,
    proofStatus: z.enum(PROOF_STATUSES),
    oldProofStatus: z.enum(PROOF_STATUSES),
    proofGeneratedAt: isoOrNull,
    position,
    timestamp,
  })
  .strict();

export const settlementProofSchema = z
  .object({
    intentId,
    proof: z.string(),
    verifier: z.string().nullable(),
    generatedAt: z.string().describe('ISO-8601 occurredAt of the proof.settlement_generated event'),
    position,
    timestamp,
  })
  .strict()
  .describe('the latest settlement proof of the intent (also the body of GET /intents/:intentId/settlement-proof)');

export const removedSchema = z.object({ intentId, position, timestamp }).strict();
export const notFoundSchema = z.object({ intentId: z.string() }).strict();

export const mempoolStatsSchema = z
  .object({
    total: z.number().int().nonnegative(),
    submitted: z.number().int().nonnegative(),
    matched: z.number().int().nonnegative(),
    executing: z.number().int().nonnegative(),
    completed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    cancelled: z.number().int().nonnegative(),
  })
  .strict();

export const pongSchema = z.object({ timestamp }).strict();

export const ERROR_CODES = [
  'INVALID_INTENT_ID',
  'INVALID_PAYLOAD',
  'UNAUTHORIZED',
  'TOO_MANY_SUBSCRIPTIONS',
  'RATE_LIMITED',
  'SLOW_CONSUMER',
  'TOO_MANY_CONNECTIONS',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const errorSchema = z.object({ event: z.string(), code: z.enum(ERROR_CODES), message: z.string() }).strict();

export const ackSchema = z.union([
  z
    .object({
      ok: z.literal(true),
      recovered: z
        .boolean()
        .optional()
        .describe('only when {since} was given: true = the missed emissions were sent; false = a fresh answer, reload'),
    })
    .strict(),
  z.object({ ok: z.literal(false), code: z.enum(ERROR_CODES), message: z.string() }).strict(),
]);

/**
 * The JSON body of a refused Socket.IO handshake (HTTP 429: too many connections from this address;
 * 503: this node is full, try another). The client sees it as a `connect_error`.
 */
export const handshakeRefusalSchema = z
  .object({
    code: z.literal('TOO_MANY_CONNECTIONS'),
    message: z.string(),
    /** which limit refused: `per_ip` (429), `total` or `fd_limit` (503) */
    limit: z.enum(['per_ip', 'total', 'fd_limit']),
  })
  .strict();
export type HandshakeRefusal = z.infer<typeof handshakeRefusalSchema>;

/** Last argument before the ack of subscribe:all / subscribe:intents / subscribe:intent. */
export const subscribeOptionsSchema = z
  .object({
    since: z
      .string()
      .max(4096)
      .optional()
      .describe('the last position received; resume from there (a position that is not valid here gets recovered:false)'),
  })
  .strict();

/** subscribe:intents / unsubscribe:intents: equality on every given field, at least one. */
export const intentFilterSchema = z
  .object({
    user: z.string().min(1).max(256).optional(),
    solver: z.string().min(1).max(256).optional(),
    fromChain: z.number().int().positive().optional(),
    toChain: z.number().int().positive().optional(),
  })
  .strict()
  .refine((f) => Object.values(f).some((v) => v !== undefined), { message: 'a filter needs at least one field' });

export type Position = z.infer<typeof positionSchema>;
export type SubscribeOptions = z.infer<typeof subscribeOptionsSchema>;
export type IntentFilter = z.infer<typeof intentFilterSchema>;
export type FormattedIntent = z.infer<typeof formattedIntentSchema>;
export type StatusChangedPayload = z.infer<typeof statusChangedSchema>;
export type ProofPayload = z.infer<typeof proofPayloadSchema>;
export type SettlementProofPayload = z.infer<typeof settlementProofSchema>;
export type RemovedPayload = z.infer<typeof removedSchema>;
export type NotFoundPayload = z.infer<typeof notFoundSchema>;
export type MempoolStatsPayload = z.infer<typeof mempoolStatsSchema>;
export type PongPayload = z.infer<typeof pongSchema>;
export type ErrorPayload = z.infer<typeof errorSchema>;
export type Ack = z.infer<typeof ackSchema>;
export type AckCallback = (ack: Ack) => void;

/** Every server → client event and its payload schema (used for schemas/ and tests). */
export const serverEventSchemas = {
  'intent:status': formattedIntentSchema,
  'intent:not_found': notFoundSchema,
  'intent:proof': proofPayloadSchema,
  'intent:settlement_proof': settlementProofSchema,
  'intent:new': formattedIntentSchema,
  'intent:status_changed': statusChangedSchema,
  'intent:proof_changed': proofPayloadSchema,
  'intent:removed': removedSchema,
  'mempool:stats': mempoolStatsSchema,
  pong: pongSchema,
  error: errorSchema,
} as const;

export type ServerEventName = keyof typeof serverEventSchemas;

export interface ServerToClientEvents {
  'intent:status': (payload: FormattedIntent) => void;
  'intent:not_found': (payload: NotFoundPayload) => void;
  'intent:proof': (payload: ProofPayload) => void;
  'intent:settlement_proof': (payload: SettlementProofPayload) => void;
  'intent:new': (payload: FormattedIntent) => void;
  'intent:status_changed': (payload: StatusChangedPayload) => void;
  'intent:proof_changed': (payload: ProofPayload) => void;
  'intent:removed': (payload: RemovedPayload) => void;
  'mempool:stats': (payload: MempoolStatsPayload) => void;
  pong: (payload: PongPayload) => void;
  error: (payload: ErrorPayload) => void;
}

/** Client → server, exactly as the reference; each may pass an acknowledgement callback. */
export interface ClientToServerEvents {
  'subscribe:intent': (intentId: string, ...rest: [ack?: AckCallback] | [options: SubscribeOptions, ack?: AckCallback]) => void;
  'unsubscribe:intent': (intentId: string, ack?: AckCallback) => void;
  'subscribe:all': (...rest: [ack?: AckCallback] | [options: SubscribeOptions, ack?: AckCallback]) => void;
  'unsubscribe:all': (ack?: AckCallback) => void;
  'subscribe:intents': (filter: IntentFilter, ...rest: [ack?: AckCallback] | [options: SubscribeOptions, ack?: AckCallback]) => void;
  'unsubscribe:intents': (filter: IntentFilter, ack?: AckCallback) => void;
  ping: (ack?: AckCallback) => void;
}

/** The server events that go to rooms and carry a `position` (docs/resume.md). */
export const ROOM_EVENTS = [
  'intent:status',
  'intent:proof',
  'intent:settlement_proof',
  'intent:new',
  'intent:status_changed',
  'intent:proof_changed',
  'intent:removed',
] as const satisfies readonly ServerEventName[];
export type RoomEvent = (typeof ROOM_EVENTS)[number];

export type ClientEventName = keyof ClientToServerEvents;

const clientIntentId = z.string().max(200).describe('intent id, 0x followed by 64 hex digits (any case)');

/**
 * The arguments of every client → server event before the acknowledgement callback, as zod
 * tuples (for the AsyncAPI document, `schemas/asyncapi.json`); `satisfies` keeps one per event.
 */
export const clientEventSchemas = {
  'subscribe:intent': z.tuple([clientIntentId]),
  'unsubscribe:intent': z.tuple([clientIntentId]),
  'subscribe:all': z.tuple([]),
  'unsubscribe:all': z.tuple([]),
  'subscribe:intents': z.tuple([intentFilterSchema]),
  'unsubscribe:intents': z.tuple([intentFilterSchema]),
  ping: z.tuple([]),
} as const satisfies Record<ClientEventName, z.ZodTuple>;

/** Room names: one per intent, one for all intents, one per distinct filter. */
export const ALL_INTENTS_ROOM = 'all-intents';
export const intentRoom = (intentId: string): string => `intent:${intentId}`;
export const FILTER_ROOM_PREFIX = 'filter:';
