/**
 * The first screen (`GET /intents`, docs/socket-io.md): current intents matching a query, newest
 * `updatedAt` first (ties: intentId descending), one page of at most `limit`, a cursor for the
 * next one, and the position the list reflects. A function of the projections, callable from
 * any HTTP framework's route. One pass over the projections keeping the best `limit` in order
 * (O(n log limit)), no full sort. Pure.
 */
import { DEFAULT_LIST_LIMIT, type ListQuery, type ListResponse } from '../contract/http.js';
import type { FormattedIntent, IntentFilter } from '../contract/socket.js';
import { type ListFields, ListedIntent } from '../reduce/listing.js';
import { pack } from '../reduce/pack.js';
import type { Projection } from '../reduce/projection.js';
import { frontendStatus } from '../reduce/status.js';
import { formatIntent } from './format.js';

interface Cursor {
  readonly updatedAt: number;
  readonly intentId: string;
}

export function encodeCursor(p: Cursor): string {
  return Buffer.from(`${p.updatedAt}:${p.intentId}`).toString('base64url');
}

export function decodeCursor(s: string): Cursor | null {
  const m = /^(-?\d{1,16}):(0x[0-9a-f]{64})$/.exec(Buffer.from(s, 'base64url').toString());
  return m === null ? null : { updatedAt: Number(m[1]), intentId: m[2]! };
}

/** Does `a` come before `b` (newer first)? */
const before = (a: Cursor, b: Cursor): boolean => a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.intentId > b.intentId);

/** An intent as a list reads it: the fields it filters and orders on, the full view for what it keeps. */
export interface Listable extends ListFields {
  projection(): Projection;
}

/**
 * Whether an intent's user is `user`: a `ListedIntent` compares it packed (`packed` = pack(user),
 * made once per scan) instead of unpacking each intent's (src/reduce/listing.ts).
 */
function userIs(p: ListFields, user: string, packed: string): boolean {
  return p instanceof ListedIntent ? p.hasPackedUser(packed) : p.user === user;
}

/** The test of a list query (`GET /intents`), prepared once for a scan. */
export function queryMatcher(q: ListQuery): (p: ListFields) => boolean {
  const packedUser = q.user === undefined ? '' : pack(q.user);
  return (p) =>
    (q.status === undefined || frontendStatus(p.status, p.proofStatus, p.htlcState) === q.status) &&
    (q.proofStatus === undefined || p.proofStatus === q.proofStatus) &&
    (q.user === undefined || userIs(p, q.user, packedUser)) &&
    (q.solver === undefined || p.solver === q.solver) &&
    (q.fromChain === undefined || p.fromChain === q.fromChain) &&
    (q.toChain === undefined || p.toChain === q.toChain);
}

/** The test of a `subscribe:intents` filter for its snapshot (the same as filters.ts `matchesFilter`), prepared once for a scan. */
export function filterMatcher(f: IntentFilter): (p: ListFields) => boolean {
  const packedUser = f.user === undefined ? '' : pack(f.user);
  return (p) =>
    (f.user === undefined || userIs(p, f.user, packedUser)) &&
    (f.solver === undefined || p.solver === f.solver) &&
    (f.fromChain === undefined || p.fromChain === f.fromChain) &&
    (f.toChain === undefined || p.toChain === f.toChain);
}

/** The newest `limit` projections matching `matches` and after `after`, in order. */
export function newest<T extends ListFields>(
  projections: Iterable<T>,
  matches: (p: T) => boolean,
  limit: number,
  after: Cursor | null,
): T[] {
  const top: T[] = [];
  for (const p of projections) {
    if (after !== null && !before(after, p)) continue;
    if (top.length === limit && !before(p, top[limit - 1]!)) continue;
    if (!matches(p)) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(top[mid]!, p)) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, p);
    if (top.length > limit) top.pop();
  }
  return top;
}

export type ListResult = { readonly ok: true; readonly body: ListResponse } | { readonly ok: false; readonly error: string };

export function listIntents(projections: Iterable<Listable>, q: ListQuery, timestamp: number, position: string): ListResult {
  const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
  if (q.cursor !== undefined && after === null) return { ok: false, error: 'cursor is not one this service returned' };
  const limit = q.limit ?? DEFAULT_LIST_LIMIT;
  // one more than the page tells whether there is a next one
  const page = newest(projections, queryMatcher(q), limit + 1, after);
  const more = page.length > limit;
  if (more) page.pop();
  const intents: FormattedIntent[] = page.map((p) => formatIntent(p.projection(), timestamp, position));
  const last = page[page.length - 1];
  const nextCursor = more && last !== undefined ? encodeCursor({ updatedAt: last.updatedAt, intentId: last.intentId }) : null;
  return { ok: true, body: { intents, nextCursor, position } };
}
