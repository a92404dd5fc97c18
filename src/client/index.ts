/**
 * `intent-projector/client`: a typed client of the service's Socket.IO contract
 * (src/contract/socket.ts) over socket.io-client, for browsers and Node.
 *
 *   const client = new IntentClient({ url: 'http://localhost:3000' });
 *   const one = client.followIntent(id, { intent: (i) => render(i) });
 *   const all = client.followAll({ list: (intents) => reset(intents), intent: (i) => upsert(i), removed: (r) => drop(r.intentId) });
 *   const mine = client.followFilter({ user: '0xabc' }, { ... });
 *   one.unsubscribe(); client.close();
 *
 * What every frontend would otherwise write itself:
 * - resubscribe after a reconnect (rooms do not survive one), with `{since: position}` of the last
 *   emission the subscription received, so that the server can send exactly what was missed;
 * - a list reload (`GET /intents`, with the filter) when the server answers `recovered: false`
 *   (or cannot resume at all), and, with `loadList`, on start before subscribing with the list's
 *   own position, so that list + stream miss nothing and repeat nothing.
 *
 * It imports nothing at run time but socket.io-client (the contract's types are erased), so the
 * service can serve it to browsers as one module (GET /client/intent-client.js, with an import map
 * for `socket.io-client`).
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  Ack,
  ClientToServerEvents,
  ErrorPayload,
  FormattedIntent,
  MempoolStatsPayload,
  NotFoundPayload,
  ProofPayload,
  RemovedPayload,
  ServerToClientEvents,
  SettlementProofPayload,
} from '../contract/socket.js';

/** `subscribe:intents`: equality on every given field (at least one). */
export interface IntentFilter {
  readonly user?: string;
  readonly solver?: string;
  readonly fromChain?: number;
  readonly toChain?: number;
}

export type IntentEvent = 'intent:status' | 'intent:new' | 'intent:status_changed';

export interface FollowHandlers {
  /** the whole current state of an intent (`intent:status`, `intent:new`, `intent:status_changed`) */
  intent?(intent: FormattedIntent, event: IntentEvent): void;
  /** `intent:proof` / `intent:proof_changed` */
  proof?(proof: ProofPayload): void;
  settlementProof?(proof: SettlementProofPayload): void;
  removed?(removed: RemovedPayload): void;
  notFound?(payload: NotFoundPayload): void;
  /** `mempool:stats` (all intents only) */
  stats?(stats: MempoolStatsPayload): void;
  /** the current list (all intents or the filter's): on start with `loadList`, and whenever the stream could not be resumed */
  list?(intents: FormattedIntent[]): void;
  /** each (re)subscription's answer: `resumed` when it asked for `{since}`, `recovered` as the server said */
  subscribed?(info: { readonly resumed: boolean; readonly recovered: boolean }): void;
  /** a refused subscription or a failed list load */
  error?(error: ErrorPayload | Error): void;
}

export interface FollowOptions {
  /** load `GET /intents` (with the filter) before subscribing (all intents and filters only) */
  readonly loadList?: boolean;
}

export interface Subscription {
  /** the position of the last emission this subscription received (or of its list), null before any */
  readonly position: string | null;
  unsubscribe(): void;
}

export interface IntentClientOptions {
  /** the service, e.g. `http://localhost:3000`; the page's own origin in a browser by default */
  readonly url?: string;
  /** `ADMIN_TOKEN`, when the service needs it for `subscribe:all` */
  readonly token?: string;
  /** passed to socket.io-client's `io()` */
  readonly socket?: Partial<ManagerOptions & SocketOptions>;
  /** most intents a list reload fetches (pages of 500) */
  readonly maxListed?: number;
}

type Target =
  | { readonly kind: 'intent'; readonly intentId: string }
  | { readonly kind: 'all' }
  | { readonly kind: 'filter'; readonly filter: IntentFilter };

interface Sub {
  readonly target: Target;
  readonly handlers: FollowHandlers;
  readonly loadList: boolean;
  position: string | null;
  active: boolean;
}

type AnyPayload = { readonly intentId?: string; readonly position?: string };

const PAGE = 500;

export class IntentClient {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private readonly subs = new Set<Sub>();
  private readonly baseUrl: string;
  private readonly maxListed: number;
  private closed = false;

  constructor(opts: IntentClientOptions = {}) {
    this.baseUrl = (opts.url ?? (typeof location === 'undefined' ? 'http://localhost:3000' : location.origin)).replace(/\/$/, '');
    this.maxListed = opts.maxListed ?? 5000;
    this.socket = io(this.baseUrl, {
      transports: ['websocket', 'polling'],
      ...(opts.token === undefined ? {} : { auth: { token: opts.token } }),
      ...opts.socket,
    });
    // every (re)connection: rooms are gone, join them again from where each subscription was
    this.socket.on('connect', () => {
      for (const s of this.subs) this.subscribe(s);
    });
    // a node that shuts down disconnects its sockets itself, and socket.io-client does not retry
    // after a server-side disconnect: a restarting node (or another behind the same address) will
    // answer again, so retry, with the manager's back-off
    this.socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect' && !this.closed) this.socket.connect();
    });
    this.listen();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** One intent: its `intent:status` now and on every change, proofs, settlement proof, removal. */
  followIntent(intentId: string, handlers: FollowHandlers): Subscription {
    return this.add({ kind: 'intent', intentId: intentId.toLowerCase() }, handlers, {});
  }

  /** All intents (`subscribe:all`; needs `token` when the service has an ADMIN_TOKEN). */
  followAll(handlers: FollowHandlers, opts: FollowOptions = {}): Subscription {
    return this.add({ kind: 'all' }, handlers, opts);
  }

  /** The intents matching a filter (`subscribe:intents`). */
  followFilter(filter: IntentFilter, handlers: FollowHandlers, opts: FollowOptions = {}): Subscription {
    return this.add({ kind: 'filter', filter: { ...filter } }, handlers, opts);
  }

  /** Fetches the current list (`GET /intents`, newest first), following cursors up to `maxListed`. */
  async list(filter: IntentFilter = {}): Promise<{ intents: FormattedIntent[]; position: string | null }> {
    const intents: FormattedIntent[] = [];
    let cursor: string | null = null;
    let position: string | null = null;
    do {
      const q = new URLSearchParams({ limit: String(PAGE) });
      for (const [k, v] of Object.entries(filter)) if (v !== undefined) q.set(k, String(v));
      if (cursor !== null) q.set('cursor', cursor);
      const res = await fetch(`${this.baseUrl}/intents?${q}`);
      if (!res.ok) throw new Error(`GET /intents answered ${res.status}`);
      const page = (await res.json()) as { intents: FormattedIntent[]; nextCursor: string | null; position?: string };
      intents.push(...page.intents);
      position ??= page.position ?? null;
      cursor = page.nextCursor;
    } while (cursor !== null && intents.length < this.maxListed);
    return { intents, position };
  }

  /** Disconnects; no more callbacks. */
  close(): void {
    this.closed = true;
    for (const s of this.subs) s.active = false;
    this.subs.clear();
    this.socket.disconnect();
  }

  private add(target: Target, handlers: FollowHandlers, opts: FollowOptions): Subscription {
    const sub: Sub = { target, handlers, loadList: opts.loadList === true && target.kind !== 'intent', position: null, active: true };
    this.subs.add(sub);
    if (sub.loadList) void this.reload(sub).then(() => this.socket.connected && this.subscribe(sub));
    else if (this.socket.connected) this.subscribe(sub);
    return {
      get position() {
        return sub.position;
      },
      unsubscribe: () => {
        if (!sub.active) return;
        sub.active = false;
        this.subs.delete(sub);
        if (!this.socket.connected) return;
        const t = sub.target;
        if (t.kind === 'intent') this.socket.emit('unsubscribe:intent', t.intentId);
        else if (t.kind === 'all') this.socket.emit('unsubscribe:all');
        else this.emit('unsubscribe:intents', t.filter);
      },
    };
  }

  /** Joins the subscription's room, from its last position when it has one. */
  private subscribe(sub: Sub): void {
    if (!sub.active || (sub.loadList && sub.position === null && !this.listed.has(sub))) return;
    const since = sub.position;
    const args: unknown[] = [];
    if (sub.target.kind === 'intent') args.push(sub.target.intentId);
    if (sub.target.kind === 'filter') args.push(sub.target.filter);
    if (since !== null) args.push({ since });
    const event = sub.target.kind === 'intent' ? 'subscribe:intent' : sub.target.kind === 'all' ? 'subscribe:all' : 'subscribe:intents';
    this.emit(event, ...args, (ack: Ack) => {
      if (!sub.active) return;
      if (!ack.ok) {
        sub.handlers.error?.({ event, code: ack.code, message: ack.message });
        return;
      }
      const recovered = (ack as { recovered?: boolean }).recovered === true;
      sub.handlers.subscribed?.({ resumed: since !== null, recovered });
      // the server gave a fresh answer instead of what was missed: the list is stale
      if (since !== null && !recovered) void this.reload(sub);
    });
  }

  private readonly listed = new WeakSet<Sub>();

  private async reload(sub: Sub): Promise<void> {
    if (sub.target.kind === 'intent' || sub.handlers.list === undefined) {
      this.listed.add(sub);
      return;
    }
    try {
      const { intents, position } = await this.list(sub.target.kind === 'filter' ? sub.target.filter : {});
      if (!sub.active) return;
      this.listed.add(sub);
      if (position !== null) sub.position = position;
      sub.handlers.list?.(intents);
    } catch (err) {
      this.listed.add(sub);
      sub.handlers.error?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** socket.emit for events the typed contract of this version may not list yet (filters, options). */
  private emit(event: string, ...args: unknown[]): void {
    (this.socket.emit as (event: string, ...args: unknown[]) => unknown).call(this.socket, event, ...args);
  }

  /** Routes each server event to the subscriptions it belongs to, and keeps their positions. */
  private listen(): void {
    const route = (payload: AnyPayload, room: 'intent' | 'all' | 'both', deliver: (h: FollowHandlers) => void): void => {
      for (const s of this.subs) {
        if (!s.active) continue;
        const t = s.target;
        const mine =
          t.kind === 'intent'
            ? room !== 'all' && payload.intentId === t.intentId
            : t.kind === 'all'
              ? room !== 'intent'
              : matches(t.filter, payload);
        if (!mine) continue;
        if (payload.position !== undefined) s.position = payload.position;
        deliver(s.handlers);
      }
    };
    const on = this.socket.on.bind(this.socket) as (event: string, fn: (payload: never) => void) => void;
    on('intent:status', (p: FormattedIntent) => route(p, 'intent', (h) => h.intent?.(p, 'intent:status')));
    on('intent:proof', (p: ProofPayload) => route(p, 'intent', (h) => h.proof?.(p)));
    on('intent:settlement_proof', (p: SettlementProofPayload) => route(p, 'intent', (h) => h.settlementProof?.(p)));
    on('intent:not_found', (p: NotFoundPayload) => route(p, 'intent', (h) => h.notFound?.(p)));
    on('intent:new', (p: FormattedIntent) => route(p, 'all', (h) => h.intent?.(p, 'intent:new')));
    on('intent:status_changed', (p: FormattedIntent) => route(p, 'all', (h) => h.intent?.(p, 'intent:status_changed')));
    on('intent:proof_changed', (p: ProofPayload) => route(p, 'all', (h) => h.proof?.(p)));
    // one broadcast to the intent room and the all-intents room: a socket in both gets it once
    on('intent:removed', (p: RemovedPayload) => route(p, 'both', (h) => h.removed?.(p)));
    on('mempool:stats', (s: MempoolStatsPayload) => {
      for (const sub of this.subs) if (sub.active && sub.target.kind === 'all') sub.handlers.stats?.(s);
    });
  }
}

/** Equality on every field the filter gives; payloads without those fields (proof, removal) match by the caller's state. */
function matches(filter: IntentFilter, payload: AnyPayload): boolean {
  const p = payload as Record<string, unknown>;
  for (const [k, v] of Object.entries(filter)) {
    if (v === undefined) continue;
    if (k in p && p[k] !== v) return false;
  }
  return true;
}
