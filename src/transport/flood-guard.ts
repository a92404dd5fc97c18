/**
 * Floods (docs/socket-io.md, "Limits"): the rate limit applied to a connection's messages before
 * Socket.IO decodes them.
 *
 * Socket.IO reads a connection through its engine.io `data` listener. `attach` puts a gate in
 * front of that listener: every message takes a token from the connection's bucket
 * (RATE_LIMIT_PER_SECOND, burst twice that); without a token the message is counted and dropped,
 * unparsed, so a dropped event costs neither decoding nor an acknowledgement. At most once a
 * second the sender is told (`onLimited`, which sends `error RATE_LIMITED`). A connection that
 * sends more than FLOOD_FACTOR x RATE_LIMIT_PER_SECOND messages per second, second after second,
 * for FLOOD_DISCONNECT_MS is disconnected (`onFlood`).
 *
 * Engine.IO's own heartbeats (ping/pong) are not messages and are never limited.
 */
import type { Logger } from '../log.js';
import { FoldedLog } from './folded-log.js';
import type { Metrics } from './metrics.js';
import { monotonicMs, TokenBucket } from './rate-limit.js';

export interface FloodGuardOptions {
  readonly perSecond: number;
  readonly factor: number;
  readonly disconnectMs: number;
  readonly metrics: Metrics;
  readonly monotonic?: () => number;
}

interface ConnLike {
  listeners(event: 'data'): ((...args: unknown[]) => void)[];
  removeAllListeners(event: 'data'): unknown;
  on(event: 'data', listener: (data: unknown) => void): unknown;
}

export interface FloodHooks {
  /** the first message dropped in a second (a cheap peek at its event name, when it has one) */
  onLimited(event: string): void;
  /** the connection stayed over FLOOD_FACTOR x the limit for FLOOD_DISCONNECT_MS */
  onFlood(): void;
}

const WINDOW_MS = 1000;
const LIMITED_NOTICE_MS = 1000;

export class FloodGuard {
  private readonly now: () => number;

  constructor(private readonly opts: FloodGuardOptions) {
    this.now = opts.monotonic ?? monotonicMs;
  }

  /** Gates the connection's `data` listeners (attach after Socket.IO has attached its own). */
  attach(conn: ConnLike, hooks: () => FloodHooks | null): void {
    const inner = conn.listeners('data');
    conn.removeAllListeners('data');
    const { perSecond, factor, disconnectMs, metrics } = this.opts;
    const bucket = new TokenBucket(perSecond, perSecond * 2, this.now);
    const floodRate = perSecond * factor;
    let windowStart = this.now();
    let windowCount = 0;
    let floodSince: number | null = null;
    let lastNotice = Number.NEGATIVE_INFINITY;
    let flooded = false;
    conn.on('data', (data: unknown) => {
      const t = this.now();
      if (t - windowStart >= WINDOW_MS) {
        floodSince = windowCount > floodRate ? (floodSince ?? windowStart) : null;
        windowStart = t;
        windowCount = 0;
      }
      windowCount++;
      if (bucket.take()) {
        for (const l of inner) l.call(conn, data);
        return;
      }
      metrics.droppedClientEvents.inc();
      if (flooded) return;
      if (floodSince !== null && windowCount > floodRate && t - floodSince >= disconnectMs) {
        flooded = true;
        metrics.disconnects.inc({ reason: 'flood' });
        hooks()?.onFlood();
        return;
      }
      if (t - lastNotice >= LIMITED_NOTICE_MS) {
        lastNotice = t;
        hooks()?.onLimited(peekEventName(data));
      }
    });
  }
}

/** `42["name",...` (optionally with a namespace and an ack id) → `name`; '' when it is not an event. */
export function peekEventName(data: unknown): string {
  if (typeof data !== 'string') return '';
  const m = /^\d(?:\/[^,]{0,64},)?\d{0,16}\["([^"\\]{0,64})"/.exec(data.slice(0, 160));
  return m?.[1] ?? '';
}

interface FloodServer {
  readonly engine: {
    on(
      event: 'connection',
      listener: (
        conn: ConnLike & {
          readonly remoteAddress?: string;
          close(discard?: boolean): unknown;
          readonly transport: { readonly socket?: { terminate?: () => void } };
        },
      ) => void,
    ): unknown;
  };
  on(event: 'connection', listener: (socket: FloodSocket) => void): unknown;
}

interface FloodSocket {
  readonly id: string;
  readonly conn: object;
  emit(event: 'error', payload: { event: string; code: 'RATE_LIMITED'; message: string }): unknown;
  disconnect(close: boolean): unknown;
}

/** Guards every connection of `io` (call before any socket connects). */
export function guardFloods(
  io: FloodServer,
  config: { readonly RATE_LIMIT_PER_SECOND: number; readonly FLOOD_FACTOR: number; readonly FLOOD_DISCONNECT_MS: number },
  metrics: Metrics,
  logger: Pick<Logger, 'warn'>,
): void {
  const log = new FoldedLog(logger, 'disconnectedSinceLastLine');
  const guard = new FloodGuard({
    perSecond: config.RATE_LIMIT_PER_SECOND,
    factor: config.FLOOD_FACTOR,
    disconnectMs: config.FLOOD_DISCONNECT_MS,
    metrics,
  });
  const sockets = new WeakMap<object, FloodSocket>();
  io.on('connection', (socket) => sockets.set(socket.conn, socket));
  const message = `more than ${config.RATE_LIMIT_PER_SECOND} events per second; events dropped`;
  io.engine.on('connection', (conn) => {
    guard.attach(conn, () => ({
      onLimited: (event) => {
        metrics.clientErrors.inc({ code: 'RATE_LIMITED' });
        sockets.get(conn)?.emit('error', { event, code: 'RATE_LIMITED', message });
      },
      onFlood: () => {
        const socket = sockets.get(conn);
        log.warn(
          'flood',
          { socket: socket?.id, from: conn.remoteAddress, limitPerSecond: config.RATE_LIMIT_PER_SECOND * config.FLOOD_FACTOR },
          'client disconnected: more than FLOOD_FACTOR x RATE_LIMIT_PER_SECOND events per second for FLOOD_DISCONNECT_MS',
        );
        socket?.disconnect(true);
        // a flooder gets no graceful close: discard what it was sent, drop the TCP connection now
        const ws = conn.transport.socket;
        conn.close(true);
        ws?.terminate?.();
      },
    }));
  });
}
