/**
 * Answering subscriptions (docs/socket-io.md, docs/resume.md): `subscribe:intent`,
 * `subscribe:all` and `subscribe:intents`, fresh or resumed from `{since}`, for the socket
 * handlers (which validate first). Per socket it remembers each subscription's room, when it
 * joined (the window sequence number) and what it resumed from, so that a resume never sends an
 * emission the socket already got through another of its subscriptions.
 *
 * - Fresh: join the room, then `intent:status` (+ `intent:settlement_proof`) or `intent:not_found`;
 *   `mempool:stats`; or `intent:status` for each matching intent, newest first (at most
 *   MAX_FILTER_SNAPSHOT). Snapshot payloads carry the node's current position.
 * - Resumed: the missed emissions from the resume window, in order, then join the room (same
 *   tick: nothing can come between), `mempool:stats` for `subscribe:all`, ack `recovered: true`.
 *   If the node has not yet applied everything `since` covers, it waits for it (at most
 *   RESUME_WAIT_MS). Otherwise (malformed, other topics, outside the window, timeout): a fresh
 *   answer and `recovered: false`. A resume is paced by the socket's buffer (`resume`).
 * - While the node holds MAX_SOCKET_BUFFER_BYTES unsent for the socket (`pace`), a subscription
 *   waits for it to drain to half of that before it is answered, so many answers to a socket that
 *   does not read cannot pile up (docs/socket-io.md "Slow consumers").
 */
import { ALL_INTENTS_ROOM, intentRoom, type AckCallback, type IntentFilter, type ServerToClientEvents } from '../contract/socket.js';
import type { PositionedEmission, Routed } from '../fanout/emissions.js';
import { type FilterIndex, filterKey, filterRoom, matchesFilter } from '../fanout/filters.js';
import { formatIntent, formatSettlementProof } from '../fanout/format.js';
import { filterMatcher, newest } from '../fanout/list.js';
import { covers, type Cut } from '../fanout/position.js';
import type { EmissionSource } from '../fanout/resume-window.js';
import type { Stream } from '../fanout/stream.js';
import type { IntentSocket } from './socket-handlers.js';
import type { Metrics } from './metrics.js';
import type { ProjectionReader } from './transport.js';

export type SubscriptionSpec =
  | { readonly kind: 'intent'; readonly intentId: string }
  | { readonly kind: 'all' }
  | { readonly kind: 'filter'; readonly filter: IntentFilter };

interface Subscription {
  readonly spec: SubscriptionSpec;
  readonly room: string;
  readonly wants: (e: Routed) => boolean;
  /** window sequence number when it joined its room: it got every later emission it wants live */
  readonly joinSeq: number;
  /** what it resumed from: it got the emissions it wants that this does not cover */
  readonly since: Cut | null;
}

/** A subscription being answered later: when its socket drained (paced), or when the node reaches `since` (a `StreamWaiter`). */
interface Waiter {
  /** cancels the wait (its timer, or the drain callback) */
  readonly stop: () => void;
}
interface StreamWaiter extends Waiter {
  readonly run: () => void;
  readonly since: Cut;
}

/**
 * How a resume is paced by its socket's buffer (slow-consumers.ts): the missed emissions are
 * written while the node holds fewer than `bytes` unsent for the socket; then the rest waits until
 * it holds fewer than half that.
 */
export interface ResumePace {
  readonly bytes: number;
  held(socketId: string): number;
  whenBelow(socketId: string, bytes: number, then: () => void): () => void;
}

/** emissions a resume reads from the window at a time, between two looks at its socket's buffer */
const RESUME_BATCH = 256;

/** The subscriptions of one socket. */
export class SocketSubscriptions {
  readonly active = new Map<string, Subscription>();
  readonly waiting = new Map<string, Waiter>();
  constructor(readonly socket: IntentSocket) {}

  /** Subscriptions held or being answered (what MAX_SUBSCRIPTIONS_PER_SOCKET counts; subscribe:all does not). */
  get counted(): number {
    let n = 0;
    for (const k of this.active.keys()) if (k !== ALL_KEY) n++;
    for (const k of this.waiting.keys()) if (k !== ALL_KEY && !this.active.has(k)) n++;
    return n;
  }
}

export interface SubscriptionDeps {
  readonly store: ProjectionReader;
  readonly stream: Stream;
  readonly filters: FilterIndex;
  readonly metrics: Metrics;
  readonly clock: () => number;
  readonly maxFilterSnapshot: number;
  readonly resumeWaitMs: number;
  /** without it a resume writes all it missed at once */
  readonly pace?: ResumePace;
}

const ALL_KEY = 'all';
export const subscriptionKey = (spec: SubscriptionSpec): string =>
  spec.kind === 'intent' ? `intent:${spec.intentId}` : spec.kind === 'all' ? ALL_KEY : `filter:${filterKey(spec.filter)}`;

export class Subscriptions {
  private readonly waiters = new Set<StreamWaiter>();
  constructor(private readonly deps: SubscriptionDeps) {}

  /** Joins and answers one validated subscription; `resume` null = no `{since}` given. */
  subscribe(subs: SocketSubscriptions, spec: SubscriptionSpec, resume: { readonly since: unknown } | null, ack: AckCallback | null): void {
    const key = subscriptionKey(spec);
    this.cancel(subs, key);
    const pace = this.deps.pace;
    if (pace !== undefined && pace.held(subs.socket.id) >= pace.bytes) {
      // the socket holds its bound: the answer waits until it drained to half of it
      const stop = pace.whenBelow(subs.socket.id, pace.bytes / 2, () => {
        subs.waiting.delete(key);
        this.subscribe(subs, spec, resume, ack);
      });
      subs.waiting.set(key, { stop });
      return;
    }
    if (resume === null) {
      this.fresh(subs, spec, ack, undefined);
      return;
    }
    const cut = this.deps.stream.decode(resume.since);
    if (cut === null) {
      this.fresh(subs, spec, ack, 'malformed');
      return;
    }
    if (this.deps.stream.reached(cut)) {
      this.resume(subs, spec, cut, ack);
      return;
    }
    // this node is behind the position the client got elsewhere: wait for it, bounded
    const timer = setTimeout(() => {
      this.waiters.delete(waiter);
      subs.waiting.delete(key);
      if (subs.socket.connected) this.fresh(subs, spec, ack, 'timeout');
    }, this.deps.resumeWaitMs);
    timer.unref();
    const waiter: StreamWaiter = { since: cut, run: () => this.resume(subs, spec, cut, ack), stop: () => clearTimeout(timer) };
    this.waiters.add(waiter);
    subs.waiting.set(key, waiter);
  }

  unsubscribe(subs: SocketSubscriptions, spec: SubscriptionSpec): void {
    const key = subscriptionKey(spec);
    this.cancel(subs, key);
    const sub = subs.active.get(key);
    if (sub === undefined) return;
    subs.active.delete(key);
    void subs.socket.leave(sub.room);
    if (spec.kind === 'filter') this.deps.filters.remove(spec.filter);
  }

  /** The socket left: forget its filters and waits. */
  drop(subs: SocketSubscriptions): void {
    for (const key of [...subs.waiting.keys()]) this.cancel(subs, key);
    for (const sub of subs.active.values()) if (sub.spec.kind === 'filter') this.deps.filters.remove(sub.spec.filter);
    subs.active.clear();
  }

  /** The stream moved: run the resumes that were waiting for this node to get there. */
  advanced(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) {
      if (!this.deps.stream.reached(w.since)) continue;
      w.stop();
      this.waiters.delete(w);
      w.run();
    }
  }

  close(): void {
    for (const w of this.waiters) w.stop();
    this.waiters.clear();
  }

  private cancel(subs: SocketSubscriptions, key: string): void {
    const w = subs.waiting.get(key);
    if (w === undefined) return;
    w.stop();
    this.waiters.delete(w as StreamWaiter);
    subs.waiting.delete(key);
  }

  /**
   * Writes what the subscription missed after `since`, then joins it (the same tick as the last
   * write: nothing can come between). Paced (`pace`): the window is read RESUME_BATCH emissions at
   * a time, and once the socket holds `pace.bytes` unsent the rest waits for it to drain, read
   * from the last written emission's position (`from`); a socket that does not drain is
   * disconnected as a slow consumer, one too slow to catch up falls out of the window (a fresh
   * answer then). So a resume never holds more than about `pace.bytes` for its socket.
   */
  private resume(subs: SocketSubscriptions, spec: SubscriptionSpec, since: Cut, ack: AckCallback | null, from: Cut = since): void {
    const key = subscriptionKey(spec);
    subs.waiting.delete(key);
    const { socket } = subs;
    if (!socket.connected) return;
    const wants = wantsOf(spec);
    const others = [...subs.active.entries()].filter(([k]) => k !== key).map(([, s]) => s);
    const want = (e: Routed, src: EmissionSource): boolean => wants(e) && !others.some((o) => received(o, e, src));
    const intentId = spec.kind === 'intent' ? spec.intentId : undefined;
    const pace = this.deps.pace;
    let at = from;
    for (;;) {
      const answer = this.deps.stream.missed(at, want, intentId, pace === undefined ? undefined : RESUME_BATCH);
      if (!answer.ok) {
        this.fresh(subs, spec, ack, answer.reason === 'ahead' ? 'timeout' : answer.reason);
        return;
      }
      const { emissions } = answer;
      let sent = 0;
      let full = false;
      while (sent < emissions.length && !full) {
        emitTo(socket, emissions[sent++]!);
        full = pace !== undefined && pace.held(socket.id) >= pace.bytes;
      }
      if ((sent === emissions.length && !answer.more) || pace === undefined || sent === 0) break;
      const next = this.deps.stream.decode(emissions[sent - 1]!.payload.position);
      if (next === null) {
        // (never: the window wrote that position)
        this.fresh(subs, spec, ack, 'malformed');
        return;
      }
      at = next;
      if (!full) continue;
      const stop = pace.whenBelow(socket.id, pace.bytes / 2, () => this.resume(subs, spec, since, ack, next));
      subs.waiting.set(key, { stop });
      return;
    }
    this.join(subs, spec, since);
    if (spec.kind === 'all') socket.emit('mempool:stats', this.deps.store.stats());
    this.deps.metrics.resumes.inc({ outcome: 'recovered' });
    ack?.({ ok: true, recovered: true });
  }

  private fresh(subs: SocketSubscriptions, spec: SubscriptionSpec, ack: AckCallback | null, failed: string | undefined): void {
    const { socket } = subs;
    this.join(subs, spec, null);
    const now = this.deps.clock();
    const position = this.deps.stream.position();
    switch (spec.kind) {
      case 'intent': {
        const p = this.deps.store.get(spec.intentId);
        if (p === undefined) socket.emit('intent:not_found', { intentId: spec.intentId });
        else {
          socket.emit('intent:status', formatIntent(p, now, position));
          // a client subscribing after the proof was emitted still gets it
          if (p.settlementProof !== null)
            socket.emit('intent:settlement_proof', formatSettlementProof(p.intentId, p.settlementProof, now, position));
        }
        break;
      }
      case 'all':
        socket.emit('mempool:stats', this.deps.store.stats());
        break;
      case 'filter': {
        const f = spec.filter;
        for (const p of newest(this.deps.store.listing(), filterMatcher(f), this.deps.maxFilterSnapshot, null)) {
          socket.emit('intent:status', formatIntent(p.projection(), now, position));
        }
        break;
      }
      default:
        throw new Error(`unknown subscription ${JSON.stringify(spec satisfies never)}`);
    }
    if (failed !== undefined) this.deps.metrics.resumes.inc({ outcome: failed });
    ack?.(failed === undefined ? { ok: true } : { ok: true, recovered: false });
  }

  private join(subs: SocketSubscriptions, spec: SubscriptionSpec, since: Cut | null): void {
    const key = subscriptionKey(spec);
    const room = spec.kind === 'intent' ? intentRoom(spec.intentId) : spec.kind === 'all' ? ALL_INTENTS_ROOM : filterRoom(spec.filter);
    const had = subs.active.get(key);
    if (spec.kind === 'filter' && had === undefined) this.deps.filters.add(spec.filter);
    void subs.socket.join(room);
    subs.active.set(key, { spec, room, wants: wantsOf(spec), joinSeq: this.deps.stream.seq, since });
  }
}

/** The emissions a subscription gets: its room's (a filter: the all-intents room's, matching). */
export function wantsOf(spec: SubscriptionSpec): (e: Routed) => boolean {
  switch (spec.kind) {
    case 'intent': {
      const room = intentRoom(spec.intentId);
      return (e) => e.rooms.includes(room);
    }
    case 'all':
      return (e) => e.rooms.includes(ALL_INTENTS_ROOM);
    case 'filter': {
      const f = spec.filter;
      return (e) => e.rooms.includes(ALL_INTENTS_ROOM) && matchesFilter(f, e.intent);
    }
    default:
      throw new Error(`unknown subscription ${JSON.stringify(spec satisfies never)}`);
  }
}

/** Did this subscription already deliver the window emission (live, or in its own resume)? */
function received(sub: Subscription, e: Routed, src: EmissionSource): boolean {
  if (!sub.wants(e)) return false;
  if (src.seq >= sub.joinSeq) return true;
  return sub.since !== null && !covers(sub.since, src.slot, src.offset, src.index);
}

function emitTo(socket: IntentSocket, e: PositionedEmission): void {
  (socket.emit as (event: keyof ServerToClientEvents, payload: unknown) => boolean).call(socket, e.event, e.payload);
}
