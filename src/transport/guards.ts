/**
 * Validation of what clients send (docs/contract.md § Socket.IO): the arguments of the client
 * events (filters and `{since}` included), the acknowledgement callback, and the admin token of `subscribe:all`.
 * Pure functions of their input; the socket handlers turn a refusal into an `error` event
 * `{event, code, message}` (and `{ok:false, code, message}` to the ack, when there is one).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { intentFilterSchema, type AckCallback, type ErrorCode, type IntentFilter } from '../contract/socket.js';

/** Longest string accepted as an intentId argument before it is even matched (`0x` + 64 = 66). */
export const MAX_INTENT_ID_ARG_LENGTH = 200;

const INTENT_ID = /^0x[0-9a-fA-F]{64}$/;

export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: Refusal };

/** Socket.IO hands a handler its arguments; a trailing function is the client's ack callback. */
export function splitAck(args: readonly unknown[]): { args: readonly unknown[]; ack: AckCallback | null } {
  const last = args[args.length - 1];
  if (typeof last === 'function') return { args: args.slice(0, -1), ack: last as AckCallback };
  return { args, ack: null };
}

/** An intent id as typed by a person or a client: any case; stored and matched lower-cased. */
export function parseIntentId(raw: unknown): Parsed<string> {
  if (typeof raw !== 'string') {
    return refuse('INVALID_PAYLOAD', `intentId must be a string, got ${describe(raw)}`);
  }
  if (raw.length > MAX_INTENT_ID_ARG_LENGTH) {
    return refuse('INVALID_PAYLOAD', `intentId is too long (${raw.length} characters)`);
  }
  if (!INTENT_ID.test(raw)) {
    return refuse('INVALID_INTENT_ID', 'intentId must be 0x followed by 64 hex digits');
  }
  return { ok: true, value: raw.toLowerCase() };
}

/** The filter of `subscribe:intents` / `unsubscribe:intents` (contract/socket.ts intentFilterSchema). */
export function parseFilter(raw: unknown): Parsed<IntentFilter> {
  const r = intentFilterSchema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return refuse(
    'INVALID_PAYLOAD',
    `invalid filter: ${where}${issue?.message ?? 'not a filter'} (fields: user, solver, fromChain, toChain)`,
  );
}

/**
 * The optional `{since}` argument before the ack. Anything but an object is ignored (as extra
 * arguments always were); a `since` that is not a position of this stream is not refused but
 * answered fresh with `recovered: false` (subscriptions.ts), so `since` is returned unchecked.
 */
export function subscribeSince(raw: unknown): { readonly since: unknown } | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const since = (raw as Record<string, unknown>)['since'];
  return since === undefined ? null : { since };
}

/** The same check for an HTTP path segment (already URL-decoded). */
export function isIntentId(raw: string): boolean {
  return raw.length <= MAX_INTENT_ID_ARG_LENGTH && INTENT_ID.test(raw);
}

/**
 * `subscribe:all` needs `auth: {token}` in the handshake when ADMIN_TOKEN is set. Both sides are
 * hashed first so the comparison is constant-time whatever their lengths.
 */
export function checkAdminToken(adminToken: string | undefined, handshakeAuth: unknown): Refusal | null {
  if (adminToken === undefined) return null;
  const token =
    typeof handshakeAuth === 'object' && handshakeAuth !== null ? (handshakeAuth as Record<string, unknown>)['token'] : undefined;
  if (typeof token !== 'string') {
    return { code: 'UNAUTHORIZED', message: 'subscribe:all needs auth: {token} in the handshake' };
  }
  const a = createHash('sha256').update(token).digest();
  const b = createHash('sha256').update(adminToken).digest();
  return timingSafeEqual(a, b) ? null : { code: 'UNAUTHORIZED', message: 'invalid admin token' };
}

function refuse(code: ErrorCode, message: string): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { code, message } };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'binary data';
  const t = typeof v;
  if (t === 'undefined') return 'nothing';
  return t === 'object' ? 'an object' : `a ${t}`;
}
