/**
 * The client's subscriptions and where each server event goes (src/client/index.ts). Socket.IO
 * does not say which room an event came through, so an event is routed by its name and payload:
 * an intent subscription takes its intent's room events, all intents the all-intents events, a
 * filter the whole intents matching its server part, then judges them on the whole filter (status
 * included) against its view (the intents matching now): matching ones enter or update, others
 * that were in the view leave. Proofs and removals of a filter go by its view.
 */
import type { FormattedIntent, ProofPayload } from '../contract/socket.js';
import type { FrontendStatus } from '../contract/status.js';
import { type IntentFilter, matchesServer, matchesView, type ServerFilter } from './filter.js';
import type { FollowHandlers, IntentEvent } from './types.js';

export type Target =
  | { readonly kind: 'intent'; readonly intentId: string }
  | { readonly kind: 'all' }
  /** `server` null: a filter on status only, over the all-intents room */
  | { readonly kind: 'filter'; readonly filter: IntentFilter; readonly server: ServerFilter | null };

export interface Pending {
  readonly position: string | undefined;
  readonly deliver: () => void;
}

export interface Sub {
  readonly target: Target;
  /** the server's subscription it uses (one per room and socket) */
  readonly key: string;
  readonly handlers: FollowHandlers;
  readonly loadList: boolean;
  position: string | null;
  active: boolean;
  /** the first list is in (or failed): it may subscribe */
  listed: boolean;
  /** filters: the intents in the view now, with their status */
  readonly view: Map<string, FrontendStatus>;
  /** a (re)subscription is not answered yet: what arrives waits here, delivered in the node's order at the ack */
  held: Pending[] | null;
  subscribes: number;
  /** in its room on this connection (answered) */
  joined: boolean;
  /** a list reload is under way: what arrives waits here, delivered after the list unless it reflects it */
  buffer: Pending[] | null;
  reloads: number;
}

export type Room = 'intent' | 'all' | 'both';
export type AnyPayload = { readonly intentId: string; readonly position?: string };

const INTENT_EVENTS = new Set<string>(['intent:status', 'intent:new', 'intent:status_changed']);

export function newSub(target: Target, handlers: FollowHandlers, loadList: boolean): Sub {
  const key =
    target.kind === 'intent'
      ? `intent:${target.intentId}`
      : target.kind === 'filter' && target.server !== null
        ? `filter:${JSON.stringify(target.server)}`
        : 'all';
  return {
    target,
    key,
    handlers,
    loadList,
    position: null,
    active: true,
    listed: !loadList,
    view: new Map(),
    held: null,
    subscribes: 0,
    joined: false,
    buffer: null,
    reloads: 0,
  };
}

/** Is the event one of the subscription's? */
export function belongs(s: Sub, event: string, payload: AnyPayload, room: Room): boolean {
  const t = s.target;
  if (t.kind === 'intent') return room !== 'all' && payload.intentId === t.intentId;
  if (t.kind === 'all') return room !== 'intent';
  if (event === 'intent:not_found') return false;
  if (INTENT_EVENTS.has(event)) return matchesServer(t.server, payload);
  // a filter's room carries the all-intents events; while they wait the view may change: decided on delivery
  return room !== 'intent' && (s.held !== null || s.buffer !== null || s.view.has(payload.intentId));
}

/** Delivers a whole intent: to a filter, as an entry/update of its view, or as leaving it. */
export function deliverIntent(s: Sub, p: FormattedIntent, event: IntentEvent): void {
  const t = s.target;
  if (t.kind !== 'filter') {
    s.handlers.intent?.(p, event);
    return;
  }
  if (matchesView(t.filter, p)) {
    s.view.set(p.intentId, p.status);
    s.handlers.intent?.(p, event);
  } else if (s.view.delete(p.intentId)) s.handlers.left?.(p.intentId);
}

/** Delivers a proof; the status of a SUBMITTED intent follows it (docs/contract.md § Status model), so it may leave a status filter. */
export function deliverProof(s: Sub, p: ProofPayload): void {
  const t = s.target;
  if (t.kind === 'filter') {
    const status = s.view.get(p.intentId);
    if (status === undefined) return;
    s.handlers.proof?.(p);
    const now = status === 'proofs_pending' && p.proofStatus === 'verified' ? 'proofs_verified' : status;
    s.view.set(p.intentId, now);
    if (t.filter.status !== undefined && now !== t.filter.status) {
      s.view.delete(p.intentId);
      s.handlers.left?.(p.intentId);
    }
    return;
  }
  s.handlers.proof?.(p);
}

/** Whether a filter's view holds the intent (what proofs, settlement proofs and removals need). */
export function inView(s: Sub, intentId: string): boolean {
  return s.target.kind !== 'filter' || s.view.has(intentId);
}
