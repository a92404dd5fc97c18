/**
 * Slow consumers (docs/socket-io.md, "Limits"): the server's accounting of the bytes it holds
 * unsent for each socket, and what happens when a socket reaches MAX_SOCKET_BUFFER_BYTES.
 *
 * Accounting, per engine.io connection, O(1) per packet from engine.io's own events:
 * - `packetCreate`: a packet enters the engine's write buffer (+ its length);
 * - `flush`: the write buffer goes to the transport (it is now in flight);
 * - the transport's `drain`: what was in flight has reached the kernel (websocket: the frames'
 *   write callbacks; polling: the response was written). engine.io hands a transport one batch at a
 *   time, so `queued + inflight` is everything the process holds for the socket.
 * Lengths are JavaScript string lengths (bytes for the ASCII JSON we send).
 *
 * At the bound the socket is *slow*: room broadcasts skip it (`except`, see `target`), so its
 * buffer stops growing; what it misses is remembered instead:
 * - `intent:status` of one intent and `mempool:stats`: only the newest is kept (conflated);
 * - anything else: the socket has *lost* events.
 * When it drains to half the bound it is fast again: a socket that lost nothing gets the conflated
 * updates and goes on; one that lost events gets `error SLOW_CONSUMER` and is disconnected, so its
 * client resumes from its last position instead of silently missing events. A socket still slow
 * after SLOW_CONSUMER_GRACE_MS is disconnected (the `error` first when its transport is writable),
 * and its transport is closed at once, discarding what it holds.
 */
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';
import type { IntentSocket } from './socket-handlers.js';

export interface SlowConsumerOptions {
  readonly maxBytes: number;
  readonly graceMs: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export interface Packet {
  readonly data?: unknown;
}

/** What the accounting needs told of a connection's engine.io events (SlowConsumers.track). */
export interface PacketHooks {
  packetCreate(packet: Packet): void;
  flush(): void;
}

interface TransportLike {
  readonly name: string;
  readonly writable: boolean;
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

interface State {
  readonly socket: IntentSocket;
  queued: number;
  inflight: number;
  slow: boolean;
  lost: boolean;
  timer: NodeJS.Timeout | null;
  /** newest withheld payload per conflation key (`intent:status` per intent, `mempool:stats`) */
  readonly conflated: Map<string, { event: string; payload: unknown }>;
  /** `whenBelow` callbacks, checked at each drain */
  readonly belowWaiters: Set<{ readonly bytes: number; readonly then: () => void }>;
}

export class SlowConsumers {
  private readonly states = new Map<string, State>();
  /** ids of the slow sockets, for `except` */
  private readonly slowIds = new Set<string>();
  private highWater = 0;

  constructor(private readonly opts: SlowConsumerOptions) {
    opts.metrics.onRefresh(() => {
      let total = 0;
      for (const s of this.states.values()) total += s.queued + s.inflight;
      opts.metrics.bufferedBytes.set(total);
      opts.metrics.bufferedBytesHighWater.set(this.highWater);
      opts.metrics.slowConsumers.set(this.slowIds.size);
    });
  }

  /** Most bytes one socket has held unsent since start. */
  get bufferedHighWater(): number {
    return this.highWater;
  }

  /**
   * Starts accounting for a connected socket. The caller calls the returned hooks on the engine.io
   * connection's `packetCreate` and `flush` (one listener per event for every module that needs
   * them: Node's EventEmitter copies its listener array on every emit with more than one).
   */
  track(socket: IntentSocket): PacketHooks {
    const conn = socket.conn;
    const state: State = {
      socket,
      queued: 0,
      inflight: 0,
      slow: false,
      lost: false,
      timer: null,
      conflated: new Map(),
      belowWaiters: new Set(),
    };
    this.states.set(socket.id, state);
    const onDrain = (): void => {
      state.inflight = 0;
      if (state.slow && state.queued < this.opts.maxBytes / 2) this.recover(state);
      if (state.belowWaiters.size > 0 && state.socket.connected) {
        for (const w of [...state.belowWaiters]) {
          if (state.queued + state.inflight >= w.bytes) continue;
          state.belowWaiters.delete(w);
          w.then();
        }
      }
    };
    let transport = conn.transport as unknown as TransportLike;
    transport.on('drain', onDrain);
    conn.on('upgrade', (next) => {
      transport.off('drain', onDrain);
      transport = next as unknown as TransportLike;
      transport.on('drain', onDrain);
    });
    socket.once('disconnect', () => {
      transport.off('drain', onDrain);
      if (state.timer !== null) clearTimeout(state.timer);
      state.belowWaiters.clear();
      this.slowIds.delete(socket.id);
      this.states.delete(socket.id);
    });
    return {
      packetCreate: (packet: Packet) => {
        const data = packet.data;
        state.queued += typeof data === 'string' ? data.length : data instanceof Uint8Array ? data.byteLength : 1;
        const held = state.queued + state.inflight;
        if (held > this.highWater) this.highWater = held;
        if (!state.slow && held >= this.opts.maxBytes) this.markSlow(state);
      },
      flush: () => {
        state.inflight += state.queued;
        state.queued = 0;
      },
    };
  }

  /** Bytes the node holds unsent for the socket (0 for one it does not track). */
  held(socketId: string): number {
    const state = this.states.get(socketId);
    return state === undefined ? 0 : state.queued + state.inflight;
  }

  /**
   * Calls `then` once the socket holds fewer than `bytes` unsent: at once when it does now, else at
   * the first drain of its transport at which it does. Never for a socket that disconnected first.
   * Returns a function that cancels the call. (How a resume is paced, subscriptions.ts.)
   */
  whenBelow(socketId: string, bytes: number, then: () => void): () => void {
    const state = this.states.get(socketId);
    if (state === undefined) return () => undefined;
    if (state.queued + state.inflight < bytes) {
      then();
      return () => undefined;
    }
    const w = { bytes, then };
    state.belowWaiters.add(w);
    return () => state.belowWaiters.delete(w);
  }

  /**
   * A room broadcast minus the slow sockets. `withheld` is told, for each slow socket in `rooms`,
   * about the emission it does not get.
   */
  target<B extends { except(ids: string[]): B }>(broadcast: B, rooms: readonly string[], event: string, payload: unknown): B {
    if (this.slowIds.size === 0) return broadcast;
    for (const id of this.slowIds) {
      const state = this.states.get(id);
      if (state === undefined) continue;
      if (!rooms.some((r) => state.socket.rooms.has(r))) continue;
      this.withhold(state, event, payload);
    }
    return broadcast.except([...this.slowIds]);
  }

  private withhold(state: State, event: string, payload: unknown): void {
    const key = conflationKey(event, payload);
    if (key === null) {
      if (!state.lost) this.opts.metrics.withheldEmissions.inc({ outcome: 'lost' });
      state.lost = true;
      state.conflated.clear();
      return;
    }
    if (state.lost) return;
    state.conflated.set(key, { event, payload });
    this.opts.metrics.withheldEmissions.inc({ outcome: 'conflated' });
  }

  private markSlow(state: State): void {
    state.slow = true;
    this.slowIds.add(state.socket.id);
    state.timer = setTimeout(() => this.expire(state), this.opts.graceMs);
    state.timer.unref();
    this.opts.logger.debug({ socket: state.socket.id, bytes: state.queued + state.inflight }, 'slow consumer');
  }

  private recover(state: State): void {
    state.slow = false;
    this.slowIds.delete(state.socket.id);
    if (state.timer !== null) clearTimeout(state.timer);
    state.timer = null;
    if (state.lost) {
      // it reads again: the error and the disconnect packet reach it, then the transport closes
      this.count(state);
      state.socket.emit('error', {
        event: 'disconnect',
        code: 'SLOW_CONSUMER',
        message: 'missed events while too slow; resume from your last position',
      });
      state.socket.disconnect(true);
      return;
    }
    const pending = [...state.conflated.values()];
    state.conflated.clear();
    const emit = state.socket.emit.bind(state.socket) as (event: string, payload: unknown) => boolean;
    for (const p of pending) emit(p.event, p.payload);
  }

  private expire(state: State): void {
    state.timer = null;
    if (!state.slow || !state.socket.connected) return;
    this.disconnect(state, `more than MAX_SOCKET_BUFFER_BYTES (${this.opts.maxBytes}) unsent for SLOW_CONSUMER_GRACE_MS`);
  }

  private count(state: State): void {
    this.opts.metrics.disconnects.inc({ reason: 'slow_consumer' });
    this.opts.metrics.clientErrors.inc({ code: 'SLOW_CONSUMER' });
    this.opts.logger.info(
      { socket: state.socket.id, bytes: state.queued + state.inflight, lost: state.lost },
      'slow consumer disconnected',
    );
  }

  private disconnect(state: State, reason: string): void {
    const { socket } = state;
    this.count(state);
    const transport = socket.conn.transport as unknown as TransportLike;
    // the error only when it can still reach the client (nothing is stuck in front of it)
    if (transport.writable) socket.emit('error', { event: 'disconnect', code: 'SLOW_CONSUMER', message: reason });
    socket.disconnect(true);
    // close the transport now, discarding what it holds (a stalled reader would keep it for good)
    socket.conn.close(true);
    const ws = (transport as unknown as { socket?: { terminate?: () => void } }).socket;
    if (transport.name === 'websocket' && !transport.writable) ws?.terminate?.();
  }
}

/** What may replace an earlier withheld emission: the status of one intent, the stats. */
function conflationKey(event: string, payload: unknown): string | null {
  if (event === 'mempool:stats') return event;
  if (event === 'intent:status') return `${event}:${(payload as { intentId: string }).intentId}`;
  return null;
}
