/**
 * The five client events of docs/contract.md § Socket.IO, per socket:
 * `subscribe:intent`, `unsubscribe:intent`, `subscribe:all`, `unsubscribe:all`, `ping`.
 *
 * - The rate limit is applied before these handlers, to the connection's raw messages
 *   (flood-guard.ts): an event over the limit never gets here. Events that are not one of the
 *   five are dropped silently.
 * - Arguments are validated (guards.ts); a refusal answers `error {event, code, message}` and
 *   `{ok:false, code, message}` to the ack, and changes nothing.
 * - While the pipeline is catching up, (un)subscriptions are validated at once but queued, in
 *   order, per socket; `caughtUp()` joins the rooms and answers them (`intent:status` /
 *   `intent:not_found` / `mempool:stats`, then the ack). A socket that leaves meanwhile is dropped.
 * - No exception escapes a handler: a bad client never takes the process down.
 */
import type { Server, Socket } from 'socket.io';
import type { Config } from '../config.js';
import {
  ALL_INTENTS_ROOM,
  intentRoom,
  type AckCallback,
  type ClientToServerEvents,
  type ClientEventName,
  type ErrorCode,
  type ServerToClientEvents,
} from '../contract/socket.js';
import { formatIntent, formatSettlementProof } from '../fanout/format.js';
import type { Logger } from '../log.js';
import { checkAdminToken, parseIntentId, splitAck, type Refusal } from './guards.js';
import type { Metrics } from './metrics.js';
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
}

const CLIENT_EVENTS: ReadonlySet<string> = new Set<ClientEventName>([
  'subscribe:intent',
  'unsubscribe:intent',
  'subscribe:all',
  'unsubscribe:all',
  'ping',
]);

interface SocketState {
  readonly socket: IntentSocket;
  /** intent ids the socket is (or, while catching up, will be) subscribed to */
  readonly intents: Set<string>;
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
    const state: SocketState = { socket, intents: new Set(), queued: [] };
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
      this.guarded(state, 'subscribe:all', args, (_rest, ack) => this.subscribeAll(state, ack)),
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
    if (!parsed.ok) {
      this.refuse(state, 'subscribe:intent', parsed.refusal, ack);
      return;
    }
    const id = parsed.value;
    if (!state.intents.has(id) && state.intents.size >= this.deps.config.MAX_SUBSCRIPTIONS_PER_SOCKET) {
      const max = this.deps.config.MAX_SUBSCRIPTIONS_PER_SOCKET;
      this.refuse(
        state,
        'subscribe:intent',
        { code: 'TOO_MANY_SUBSCRIPTIONS', message: `at most ${max} intent subscriptions per connection` },
        ack,
      );
      return;
    }
    state.intents.add(id);
    this.whenLive(state, () => {
      const { socket } = state;
      void socket.join(intentRoom(id));
      const projection = this.deps.store.get(id);
      if (projection !== undefined) {
        const now = this.deps.clock();
        socket.emit('intent:status', formatIntent(projection, now));
        // a client subscribing after the proof was emitted still gets it (docs/socket-io.md)
        if (projection.settlementProof !== null) {
          socket.emit('intent:settlement_proof', formatSettlementProof(id, projection.settlementProof, now));
        }
      } else socket.emit('intent:not_found', { intentId: id });
      reply(ack, null);
    });
  }

  private unsubscribeIntent(state: SocketState, args: readonly unknown[], ack: AckCallback | null): void {
    const parsed = parseIntentId(args[0]);
    if (!parsed.ok) {
      this.refuse(state, 'unsubscribe:intent', parsed.refusal, ack);
      return;
    }
    const id = parsed.value;
    state.intents.delete(id);
    this.whenLive(state, () => {
      void state.socket.leave(intentRoom(id));
      reply(ack, null);
    });
  }

  private subscribeAll(state: SocketState, ack: AckCallback | null): void {
    const refused = checkAdminToken(this.deps.config.ADMIN_TOKEN, state.socket.handshake.auth);
    if (refused !== null) {
      this.refuse(state, 'subscribe:all', refused, ack);
      return;
    }
    this.whenLive(state, () => {
      void state.socket.join(ALL_INTENTS_ROOM);
      state.socket.emit('mempool:stats', this.deps.store.stats());
      reply(ack, null);
    });
  }

  private unsubscribeAll(state: SocketState, ack: AckCallback | null): void {
    this.whenLive(state, () => {
      void state.socket.leave(ALL_INTENTS_ROOM);
      reply(ack, null);
    });
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
