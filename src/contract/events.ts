/**
 * The input contract (docs/contract.md § Input): the envelope and every lifecycle and proof event.
 *
 * These zod schemas are the one place where untyped input becomes typed. `src/ingest/decode.ts`
 * runs them on Kafka records; `npm run schemas` turns them into `schemas/*.json`.
 * The decoded form differs from the wire form in two ways only: `intentId` is lower-cased and
 * `occurredAt` (plus `proofGeneratedAt`) become epoch milliseconds, the reducer's only clock.
 */
import { z } from 'zod';
import { parseInstant } from './instant.js';

const isoInstant = z.iso
  .datetime({ offset: true, local: false })
  .transform(parseInstant)
  .describe('ISO-8601 instant, e.g. 2026-11-27T10:15:30.123Z');

export const intentIdSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits')
  .transform((s) => s.toLowerCase())
  .describe('0x + 64 hex digits, any case; stored and emitted lower-cased');

const txHash = z.string().min(1).max(256);
const chainId = z.number().int().positive();

const empty = z.object({}).optional().default({});

/** `data` schema per event type. Unknown extra fields are stripped (zod's default). */
export const eventData = {
  'intent.submitted': z.object({
    fromChain: chainId,
    toChain: chainId,
    amount: z
      .string()
      .max(100, 'must be at most 100 characters')
      .regex(/^\d+(\.\d+)?$/, 'must be a decimal string such as "1000" or "1.5"'),
    user: z.string().max(256).optional(),
    deadline: z.number().int().nonnegative().optional().describe('unix seconds'),
  }),
  'intent.matched': z.object({ solver: z.string().min(1).max(256) }),
  'intent.source_lock_requested': empty,
  'intent.source_locked': z.object({ txHash }),
  'intent.destination_locked': z.object({ txHash }),
  'intent.destination_withdrawn': z.object({ txHash }),
  'intent.completed': z.object({ txHash: txHash.optional() }).optional().default({}),
  'intent.refunded': z.object({ side: z.enum(['source', 'destination']), txHash }),
  'intent.failed': z.object({ error: z.string().max(4096), failureReason: z.string().max(4096) }),
  'intent.cancelled': z
    .object({ reason: z.string().max(4096).optional() })
    .optional()
    .default({}),
  'intent.removed': z
    .object({ reason: z.string().max(4096).optional() })
    .optional()
    .default({}),
  'proof.requested': empty,
  'proof.generating': empty,
  'proof.generated': z.object({ proofGeneratedAt: isoInstant.optional() }).optional().default({}),
  'proof.verified': empty,
  'proof.failed': z
    .object({ error: z.string().max(4096).optional() })
    .optional()
    .default({}),
  'proof.settlement_generated': z.object({
    proof: z.string().min(1).max(1_000_000),
    verifier: z.string().max(256).optional(),
  }),
} as const;

export type EventType = keyof typeof eventData;
export const EVENT_TYPES = Object.keys(eventData) as EventType[];
export const LIFECYCLE_TYPES = EVENT_TYPES.filter((t) => t.startsWith('intent.'));
export const PROOF_TYPES = EVENT_TYPES.filter((t) => t.startsWith('proof.'));

const envelopeFields = {
  eventId: z.string().min(1).max(128).describe('unique per fact; replays and retries repeat it'),
  intentId: intentIdSchema,
  occurredAt: isoInstant,
};

function variant<T extends EventType>(type: T) {
  return z.object({ ...envelopeFields, type: z.literal(type), data: eventData[type] });
}

/** The canonical envelope, one variant per event type, discriminated on `type`. */
export const intentEventSchema = z.discriminatedUnion('type', [
  variant('intent.submitted'),
  variant('intent.matched'),
  variant('intent.source_lock_requested'),
  variant('intent.source_locked'),
  variant('intent.destination_locked'),
  variant('intent.destination_withdrawn'),
  variant('intent.completed'),
  variant('intent.refunded'),
  variant('intent.failed'),
  variant('intent.cancelled'),
  variant('intent.removed'),
  variant('proof.requested'),
  variant('proof.generating'),
  variant('proof.generated'),
  variant('proof.verified'),
  variant('proof.failed'),
  variant('proof.settlement_generated'),
]);

/** A decoded event: what the reducer folds. */
export type IntentEvent = z.output<typeof intentEventSchema>;
/** An event as written on the wire (canonical JSON form). */
export type IntentEventInput = z.input<typeof intentEventSchema>;
export type EventOf<T extends EventType> = Extract<IntentEvent, { type: T }>;

/**
 * CloudEvents 1.0 structured mode, one variant per event type (id → eventId, subject → intentId,
 * time → occurredAt). Decoding maps a CloudEvent onto the canonical envelope (src/ingest/decode.ts);
 * this schema documents the same records for `schemas/cloudevent.json`.
 */
function cloudEventVariant<T extends EventType>(type: T) {
  return z.object({
    specversion: z.literal('1.0'),
    id: envelopeFields.eventId,
    source: z.string().optional().describe('CloudEvents source; not read by the service'),
    type: z.literal(type),
    subject: intentIdSchema,
    time: envelopeFields.occurredAt,
    datacontenttype: z.string().optional(),
    data: eventData[type],
  });
}

export const cloudEventSchema = z.discriminatedUnion(
  'type',
  EVENT_TYPES.map((t) => cloudEventVariant(t)) as unknown as [
    ReturnType<typeof cloudEventVariant>,
    ...ReturnType<typeof cloudEventVariant>[],
  ],
);
