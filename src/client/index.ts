/**
 * `intent-projector/client`: a typed client of the service's Socket.IO contract
 * (src/contract/socket.ts) over socket.io-client, for browsers and Node.
 *
 *   const client = new IntentClient({ url: 'http://localhost:3000' });
 *   const one = client.followIntent(id, { intent: (i) => render(i) });
 *   const all = client.followAll({ list: (intents) => reset(intents), intent: (i) => upsert(i), removed: (r) => drop(r.intentId) });
 *   const mine = client.followFilter({ user: '0xabc', status: 'executing' }, { list, intent, left: (id) => drop(id) }, { loadList: true });
 *   one.unsubscribe(); client.close();
 *
 * What every frontend would otherwise write itself:
 * - resubscribe after a reconnect (rooms do not survive one), with `{since: position}` of the last
 *   emission the subscription received, so that the server sends exactly what was missed;
 * - a list reload (`GET /intents`, with the filter) when the server answers `recovered: false`;
 *   events that arrive meanwhile wait and are delivered after the list unless it already reflects
 *   them (src/client/position.ts); with `loadList`, the list first, then subscribe with its position;
 * - filters: the server filters rooms on user/solver/chains, the client applies `status` and keeps
 *   the view (the intents matching now), so an intent that stops matching is announced (`left`).
 *
 * At run time it imports only socket.io-client and its sibling modules (filter, position, route), so
 * the service serves it to browsers (GET /client/intent-client.js and siblings; an import map names socket.io-client).
 */
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  ClientToServerEvents,
  FormattedIntent,
  MempoolStatsPayload,
  NotFoundPayload,
  ProofPayload,
  RemovedPayload,
  ServerToClientEvents,
  SettlementProofPayload,
} from '../contract/socket.js';
import type { IntentFilter } from './filter.js';
import { listQuery, serverPart } from './filter.js';
import { Pacer } from './pacer.js';
import { compareEmissions, includes } from './position.js';
import { type AnyPayload, belongs, deliverIntent, deliverProof, inView, newSub, type Room, type Sub, type Target } from './route.js';
import type { FollowHandlers, FollowOptions, IntentClientOptions, IntentEvent, Subscription } from './types.js';

export type { IntentFilter } from './filter.js';
export type { FollowHandlers, FollowOptions, IntentClientOptions, IntentEvent, Subscription } from './types.js';

const PAGE = 500;

export class IntentClient {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private readonly subs = new Set<Sub>();
  private readonly baseUrl: string;
  private readonly maxListed: number;
  private readonly pacer: Pacer;
  private readonly ackTimeoutMs: number;
  private closed = false;
  /** the position of the last emission this socket received, whatever its room */
  private lastPosition: string | null = null;

  constructor(opts: IntentClientOptions = {}) {
    this.baseUrl = (opts.url ?? (typeof location === 'undefined' ? 'http://localhost:3000' : location.origin)).replace(/\/$/, '');
    this.maxListed = opts.maxListed ?? 5000;
    this.pacer = new Pacer(opts.sendPerSecond ?? 10);
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
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
      this.pacer.clear();
      for (const s of this.subs) {
        // answers that did not come will not: the resume from the subscription's position sends it again
        s.held = null;
        // in its room, nothing for it yet: it missed nothing up to the last emission the socket got
        if (s.joined && s.position === null) s.position = this.lastPosition;
        s.joined = false;
      }
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

  /** The intents matching a filter (`subscribe:intents`; a status-only filter uses `subscribe:all`). */
  followFilter(filter: IntentFilter, handlers: FollowHandlers, opts: FollowOptions = {}): Subscription {
    return this.add({ kind: 'filter', filter: { ...filter }, server: serverPart(filter) }, handlers, opts);
  }

  /** Fetches the current list (`GET /intents`, newest first), following cursors up to `maxListed`. */
  async list(filter: IntentFilter = {}): Promise<{ intents: FormattedIntent[]; position: string | null }> {
    const intents: FormattedIntent[] = [];
    let cursor: string | null = null;
    let position: string | null = null;
    do {
      const q = listQuery(filter);
      q.set('limit', String(Math.min(PAGE, this.maxListed - intents.length)));
      if (cursor !== null) q.set('cursor', cursor);
      const res = await fetch(`${this.baseUrl}/intents?${q}`);
      if (!res.ok) throw new Error(`GET /intents answered ${res.status}`);
      const page = (await res.json()) as { intents: FormattedIntent[]; nextCursor: string | null; position?: string };
      intents.push(...page.intents);
      // the first page's position: later pages may already include some of what the stream sends after it
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
    const loadList = opts.loadList === true && target.kind !== 'intent';
    const sub = newSub(target, handlers, loadList);
    this.subs.add(sub);
    if (loadList) void this.reload(sub).then(() => this.socket.connected && this.subscribe(sub));
    else if (this.socket.connected) this.subscribe(sub);
    return {
      get position() {
        return sub.position;
      },
      unsubscribe: () => {
        if (!sub.active) return;
        sub.active = false;
        this.subs.delete(sub);
        // the server holds one subscription per room and socket: leave it when no other one uses it
        if (!this.socket.connected || [...this.subs].some((s) => s.key === sub.key)) return;
        const t = sub.target;
        this.pacer.send(() => {
          if (t.kind === 'intent') this.socket.emit('unsubscribe:intent', t.intentId);
          else if (t.kind === 'all' || t.server === null) this.socket.emit('unsubscribe:all');
          else this.socket.emit('unsubscribe:intents', t.server);
        });
      },
    };
  }

  /** Joins the subscription's room, from its last position when it has one. */
  private subscribe(sub: Sub): void {
    if (!sub.active || !sub.listed) return;
    const since = sub.position;
    const opt = since === null ? [] : [{ since }];
    const n = ++sub.subscribes;
    // until the answer, what arrives for it waits: a resume of another subscription of this socket
    // may send some of its events (an intent's removal) before its own resume sends the earlier ones
    sub.held = [];
    const done = (event: string) => (err: Error | null, ack: Ack) => {
      if (!sub.active || n !== sub.subscribes) return;
      // not answered (dropped over the server's rate limit, or lost): again, from the same position
      if (err !== null) {
        if (this.socket.connected) this.subscribe(sub);
        return;
      }
      const held = (sub.held ?? []).sort((a, b) => compareEmissions(a.position, b.position));
      sub.held = null;
      const recovered = ack.ok && ack.recovered === true;
      sub.joined = ack.ok;
      // the server gave a fresh answer instead of what was missed: the list is stale
      if (ack.ok && since !== null && !recovered && this.reloads(sub)) {
        sub.buffer = [...(sub.buffer ?? []), ...held];
        sub.handlers.subscribed?.({ resumed: true, recovered });
        void this.reload(sub);
        return;
      }
      if (sub.buffer !== null)
        sub.buffer.push(...held); // a list reload is under way: after it
      else for (const p of held) p.deliver();
      if (!ack.ok) sub.handlers.error?.({ event, code: ack.code, message: ack.message });
      else sub.handlers.subscribed?.({ resumed: since !== null, recovered });
    };
    const t = sub.target;
    this.pacer.send(() => {
      if (!sub.active || n !== sub.subscribes || !this.socket.connected) return;
      const timed = this.socket.timeout(this.ackTimeoutMs);
      const emit = timed.emit.bind(timed) as (event: string, ...args: unknown[]) => void;
      if (t.kind === 'intent') emit('subscribe:intent', t.intentId, ...opt, done('subscribe:intent'));
      else if (t.kind === 'all' || t.server === null) emit('subscribe:all', ...opt, done('subscribe:all'));
      else emit('subscribe:intents', t.server, ...opt, done('subscribe:intents'));
    });
  }

  /** Does the subscription keep a list (filters, and all intents with a `list` handler)? */
  private reloads(sub: Sub): boolean {
    return sub.target.kind === 'filter' || (sub.target.kind === 'all' && sub.handlers.list !== undefined);
  }

  /** Loads the list; what waits in the buffer meanwhile is delivered after it unless the list reflects it. */
  private async reload(sub: Sub): Promise<void> {
    const t = sub.target;
    if (t.kind === 'intent' || !this.reloads(sub)) {
      sub.listed = true;
      return;
    }
    const gen = ++sub.reloads;
    let list: { intents: FormattedIntent[]; position: string | null } | null = null;
    try {
      list = await this.list(t.kind === 'filter' ? t.filter : {});
    } catch (err) {
      sub.handlers.error?.(err instanceof Error ? err : new Error(String(err)));
    }
    if (!sub.active || gen !== sub.reloads) return; // a newer reload will finish it
    sub.listed = true;
    const pending = sub.buffer ?? [];
    sub.buffer = null;
    const at = list?.position ?? null;
    if (list !== null) {
      if (at !== null) sub.position = at;
      sub.view.clear();
      if (t.kind === 'filter') for (const i of list.intents) sub.view.set(i.intentId, i.status);
      sub.handlers.list?.(list.intents);
    }
    for (const p of pending) if (at === null || p.position === undefined || !includes(at, p.position)) p.deliver();
  }

  /** Routes each server event to the subscriptions it belongs to (route.ts), and keeps their positions. */
  private listen(): void {
    const route = (event: string, payload: AnyPayload, room: Room, deliver: (s: Sub) => void): void => {
      if (payload.position !== undefined) this.lastPosition = payload.position;
      for (const s of this.subs) {
        if (!s.active || !belongs(s, event, payload, room)) continue;
        const item = {
          position: payload.position,
          deliver: () => {
            if (!s.active) return;
            // the position moves with what reached the handlers: a resume from it misses nothing
            if (payload.position !== undefined) s.position = payload.position;
            deliver(s);
          },
        };
        if (s.held !== null) s.held.push(item);
        else if (s.buffer !== null) s.buffer.push(item);
        else item.deliver();
      }
    };
    const on = this.socket.on.bind(this.socket) as (event: string, fn: (payload: never) => void) => void;
    const intent = (event: IntentEvent, room: Room) =>
      on(event, (p: FormattedIntent) => route(event, p, room, (s) => deliverIntent(s, p, event)));
    intent('intent:status', 'intent');
    intent('intent:new', 'all');
    intent('intent:status_changed', 'all');
    on('intent:proof', (p: ProofPayload) => route('intent:proof', p, 'intent', (s) => deliverProof(s, p)));
    on('intent:proof_changed', (p: ProofPayload) => route('intent:proof_changed', p, 'all', (s) => deliverProof(s, p)));
    on('intent:settlement_proof', (p: SettlementProofPayload) =>
      route('intent:settlement_proof', p, 'intent', (s) => inView(s, p.intentId) && s.handlers.settlementProof?.(p)),
    );
    on('intent:not_found', (p: NotFoundPayload) => route('intent:not_found', p, 'intent', (s) => s.handlers.notFound?.(p)));
    // one broadcast to the intent room and the all-intents room: a socket in both gets it once
    on('intent:removed', (p: RemovedPayload) =>
      route('intent:removed', p, 'both', (s) => {
        if (!inView(s, p.intentId)) return;
        s.view.delete(p.intentId);
        s.handlers.removed?.(p);
      }),
    );
    on('mempool:stats', (st: MempoolStatsPayload) => {
      for (const s of this.subs) if (s.active && s.target.kind === 'all') s.handlers.stats?.(st);
    });
  }
}
