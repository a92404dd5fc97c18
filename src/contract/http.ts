/**
 * The HTTP side of the contract that frontends read (docs/socket-io.md): `GET /intents`, the
 * first screen. `listQuerySchema` is where its query string becomes typed; `npm run schemas`
 * writes the response schema to `schemas/`.
 */
import { z } from 'zod';
import { FRONTEND_STATUSES, PROOF_STATUSES } from './status.js';
import { formattedIntentSchema, positionSchema } from './socket.js';

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

const positiveInt = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'must be a positive integer')
  .transform(Number);

/** The query string of `GET /intents` (every parameter optional; equality on each given one). */
export const listQuerySchema = z
  .object({
    status: z.enum(FRONTEND_STATUSES).optional(),
    proofStatus: z.enum(PROOF_STATUSES).optional(),
    user: z.string().min(1).max(256).optional(),
    solver: z.string().min(1).max(256).optional(),
    fromChain: positiveInt.optional(),
    toChain: positiveInt.optional(),
    limit: positiveInt.pipe(z.number().max(MAX_LIST_LIMIT)).optional(),
    cursor: z
      .string()
      .max(512)
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional(),
  })
  .strict();

export type ListQuery = z.infer<typeof listQuerySchema>;

export const listResponseSchema = z
  .object({
    intents: z.array(formattedIntentSchema).describe('newest updatedAt first (then intentId, descending)'),
    nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page'),
    position: positionSchema.describe('subscribe with {since: position} right after loading: nothing missed, nothing repeated'),
  })
  .strict();

export type ListResponse = z.infer<typeof listResponseSchema>;
