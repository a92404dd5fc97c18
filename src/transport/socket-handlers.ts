/**
 * The client events of docs/contract.md § Socket.IO, per socket: `subscribe:intent`,
 * `unsubscribe:intent`, `subscribe:all`, `unsubscribe:all`, `subscribe:intents`,
 * `unsubscribe:intents` (filters), `ping`; subscriptions are answered by subscriptions.ts
 * (fresh, or resumed from `{since}`).
 *
 * - The rate limit is applied before these handlers, to the connection's raw messages
 *   (flood-guard.ts): an event over the limit never gets here. Events that are not one of these
 *   are dropped silently.
 * - Arguments are validated (guards.ts); a refusal answers `error {event, code, message}` and
 *   `{ok:false, code, message}` to the ack, and changes nothing.
 * - While the pipeline is catching up, (un)subscriptions are validated at once but queued, in
 *   order, per socket; `caughtUp()` joins the rooms and answers them (`intent:status` /
 *   `intent:not_found` / `mempool:stats`, then the ack). A socket that leaves meanwhile is dropped.
 *   At most 2 x MAX_SUBSCRIPTIONS_PER_SOCKET + 2 wait per socket (every subscription made and
 *   undone once, and subscribe:all's): one more is refused `TOO_MANY_SUBSCRIPTIONS`, so a client
 *   that subscribes and unsubscribes in a loop during a long replay cannot grow the queue.
 * - No exception escapes a handler: a bad client never takes the process down.
 */
import type { Server, Socket } from 'socket.io';
import type { Config } from '../config.js';
import type { AckCallback, ClientToServerEvents, ClientEventName, ErrorCode, ServerToClientEvents } from '../contract/socket.js';
import type { Logger } from '../log.js';
import { checkAdminToken, parseFilter, parseIntentId, splitAck, subscribeSince, type Refusal } from './guards.js';
import type { Metrics } from './metrics.js';
import { SocketSubscriptions, subscriptionKey, type Subscriptions, type SubscriptionSpec } from './subscriptions.js';
import type { ProjectionReader } from './transport.js';

export type IntentServer = Server<ClientToServerEvents, ServerToClientEvents>;
export type IntentSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export interface SocketHandlerDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: ProjectionReader;
  readonly clock: () => number;
  /** true once the pipeline has caught up (subscriptions are answered at once from then on) */
  readonly live: boolean;
  /** answers subscriptions, fresh or resumed (subscriptions.ts) */
  readonly subscriptions: Subscriptions;
}

const CLIENT_EVENTS: ReadonlySet<string> = new Set<ClientEventName>([
  'subscribe:intent',
  'unsubscribe:intent',
  'subscribe:all',
  'unsubscribe:all',
  'subscribe:intents',
  'unsubscribe:intents',
  'ping',
]);

interface SocketState {
  readonly socket: IntentSocket;
  /** intent ids and filter keys the socket is (or, while catching up, will be) subscribed to */
  readonly counted: Set<string>;
  readonly subs: SocketSubscriptions;
  /** room operations waiting for the catch-up, in arrival order */
  readonly queued: (() => void)[];
}

export class SocketHandlers {
  private live: boolean;
  private readonly sockets = new Map<string, SocketState>();

  constructor(private readonly deps: SocketHandlerDeps) {
    this.live = deps.live;
  }

  /** Wires one connected socket. */
  attach(socket: IntentSocket): void {
    const state: SocketState = { socket, counted: new Set(), subs: new SocketSubscriptions(socket), queued: [] };
    this.sockets.set(socket.id, state);

    socket.use((packet, next) => {
      if (CLIENT_EVENTS.has(packet[0])) next();
    });

    socket.on('subscribe:intent', (...args: unknown[]) =>
      this.guarded(state, 'subscribe:intent', args, (rest, ack) => this.subscribeIntent(state, rest, ack)),
    );
    socket.on('unsubscribe:intent', (...args: unknown[]) =>
      this.guarded(state, 'unsubscribe:intent', args, (rest, ack) => this.unsubscribeIntent(state, rest, ack)),
    );
    socket.on('subscribe:all', (...args: unknown[]) =>
      this.guarded(state, 'subscribe:all', args, (rest, ack) => this.subscribeAll(state, rest, ack)),
    );
    socket.on('subscribe:intents', (...args: unknown[]) =>
      this.guarded(state, 'subscribe:intents', args, (rest, ack) => this.subscribeFilter(state, rest, ack)),
    );
    socket.on('unsubscribe:intents', (...args: unknown[]) =>
      this.guarded(state, 'unsubscribe:intents', args, (rest, ack) => this.unsubscribeFilter(state, rest, ack)),
    );
    socket.on('unsubscribe:all', (...args: unknown[]) =>
      this.guarded(state, 'unsubscribe:all', args, (_rest, ack) => this.unsubscribeAll(state, ack)),
    );
    socket.on('ping', (...args: unknown[]) =>
      this.guarded(state, 'ping', args, (_rest, ack) => {
        socket.emit('pong', { timestamp: this.deps.clock() });
        reply(ack, null);
      }),
    );
    // A transport-level error on one socket is that socket's problem: log it, never throw.
    socket.on('error', (err) => this.deps.logger.debug({ err, socket: socket.id }, 'socket error'));
    socket.on('disconnect', () => {
      this.sockets.delete(socket.id);
      state.queued.length = 0;
      this.deps.subscriptions.drop(state.subs);
    });
  }

  /** The pipeline caught up: answer every queued subscription, socket by socket, in order. */
  caughtUp(): void {
    if (this.live) return;
    this.live = true;
    for (const state of this.sockets.values()) {
      const ops = state.queued.splice(0);
      if (!state.socket.connected) continue;
      for (const op of ops) this.safely(state, 'caughtUp', op);
    }
  }

  close(): void {
    for (const state of this.sockets.values()) state.queued.length = 0;
    this.sockets.clear();
  }

  private subscribeIntent(state: SocketState, args: readonly unknown[], ack: AckCallback | null): void {
    const parsed = parseIntentId(args[0]);
    if (parsed.ok) this.subscribe(state, 'subscribe:intent', { kind: 'intent', intentId: parsed.value }, args[1], ack);
    else this.refuse(state, 'subscribe:intent', parsed.refusal, ack);
  }

  private unsubscribeIntent(state: SocketState, args: readonly unknown[], ack: AckCallback | null): void {
    const parsed = parseIntentId(args[0]);
    if (parsed.ok) this.unsubscribe(state, 'unsubscribe:intent', { kind: 'intent', intentId: parsed.value }, ack);
    else this.refuse(state, 'unsubscribe:intent', parsed.refusal, ack);
  }

  private subscribeAll(state: SocketState, args: readonly unknown[], ack: AckCallback | null): void {
    const refused = checkAdminToken(this.deps.config.ADMIN_TOKEN, state.socket.handshake.auth);
    if (refused === null) this.subscribe(state, 'subscribe:all', { kind: 'all' }, args[0], ack);
    else this.refuse(state, 'subscribe:all', refused, ack);
  }

  private unsubscribeAll(state: SocketState, ack: AckCallback | null): void {
    this.unsubscribe(state, 'unsubscribe:all', { kind: 'all' }, ack);
  }

  private subscribeFilter(state: SocketState, args: readonly unknown[], ack: AckCallback | null): void {
    const parsed = parseFilter(args[0]);
    if (parsed.ok) this.subscribe(state, 'subscribe:intents', { kind: 'filter', filter: parsed.value }, args[1], ack);
    else this.refuse(state, 'subscribe:intents', parsed.refusal, ack);
  }

  private unsubscribeFilter(state: SocketState, args: readonly unknown[], ack: AckCallback | null): void {
    const parsed = parseFilter(args[0]);
    if (parsed.ok) this.unsubscribe(state, 'unsubscribe:intents', { kind: 'filter', filter: parsed.value }, ack);
    else this.refuse(state, 'unsubscribe:intents', parsed.refusal, ack);
  }

  /** Checks the per-socket cap (intent rooms and filters together), then joins and answers once live. */
  private subscribe(
    state: SocketState,
    event: ClientEventName,
    spec: SubscriptionSpec,
    rawOptions: unknown,
    ack: AckCallback | null,
  ): void {
    if (this.queueFull(state, event, ack)) return;
    const key = subscriptionKey(spec);
    if (spec.kind !== 'all' && !state.counted.has(key)) {
      const max = this.deps.config.MAX_SUBSCRIPTIONS_PER_SOCKET;
      if (state.counted.size >= max) {
        const message = `at most ${max} intent and filter subscriptions per connection`;
        this.refuse(state, event, { code: 'TOO_MANY_SUBSCRIPTIONS', message }, ack);
        return;
      }
      state.counted.add(key);
    }
    const resume = subscribeSince(rawOptions);
    this.whenLive(state, () => this.deps.subscriptions.subscribe(state.subs, spec, resume, ack));
  }

  private unsubscribe(state: SocketState, event: ClientEventName, spec: SubscriptionSpec, ack: AckCallback | null): void {
    if (this.queueFull(state, event, ack)) return;
    state.counted.delete(subscriptionKey(spec));
    this.whenLive(state, () => {
      this.deps.subscriptions.unsubscribe(state.subs, spec);
      reply(ack, null);
    });
  }

  /** Refuses a (un)subscription that would make more than the bound wait for the catch-up. */
  private queueFull(state: SocketState, event: ClientEventName, ack: AckCallback | null): boolean {
    if (this.live) return false;
    const max = 2 * this.deps.config.MAX_SUBSCRIPTIONS_PER_SOCKET + 2;
    if (state.queued.length < max) return false;
    const message = `at most ${max} subscription changes wait per connection while the node catches up`;
    this.refuse(state, event, { code: 'TOO_MANY_SUBSCRIPTIONS', message }, ack);
    return true;
  }

  private whenLive(state: SocketState, op: () => void): void {
    if (this.live) op();
    else state.queued.push(op);
  }

  private guarded(
    state: SocketState,
    event: ClientEventName,
    raw: readonly unknown[],
    handle: (args: readonly unknown[], ack: AckCallback | null) => void,
  ): void {
    this.safely(state, event, () => {
      const { args, ack } = splitAck(raw);
      handle(args, ack);
    });
  }

  private safely(state: SocketState, event: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.logger.warn({ err, event, socket: state.socket.id }, 'client event handler failed');
    }
  }

  private refuse(state: SocketState, event: ClientEventName, refusal: Refusal, ack: AckCallback | null): void {
    this.sendError(state, event, refusal.code, refusal.message);
    reply(ack, refusal);
  }

  private sendError(state: SocketState, event: string, code: ErrorCode, message: string): void {
    this.deps.metrics.clientErrors.inc({ code });
    state.socket.emit('error', { event, code, message });
  }
}

function reply(ack: AckCallback | null, refusal: Refusal | null): void {
  if (ack === null) return;
  ack(refusal === null ? { ok: true } : { ok: false, code: refusal.code, message: refusal.message });
}
