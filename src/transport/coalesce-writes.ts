/**
 * Fewer, larger socket writes (docs/socket-io.md "Other engine settings", docs/ingestion.md "Live
 * latency"): each `writev` to a client's socket costs the service a system call and wakes the
 * client, which then competes with the service for a CPU; profiled under bench/latency.ts, those
 * writes were the service's largest cost.
 *
 * - One write per flush: engine.io hands its websocket transport every packet waiting in a socket's
 *   write buffer at once (`flush`), and the transport writes them frame by frame, each a `writev`
 *   of its own. Corking the TCP socket from engine.io's `flush` event (just before the batch is
 *   handed to the transport) to its `drain` event (just after, synchronously) makes them one.
 * - One flush per run of the pipeline (`hold`): engine.io writes a socket's first packet at once
 *   and keeps the later ones until that write's callback, so the emissions of one run of the
 *   pipeline left in two writes per socket. While held, a websocket transport that gets a packet
 *   is marked not writable (`Transport.writable`, engine.io's own flag for "a write is in flight"),
 *   so engine.io keeps that packet in its buffer too; once the JavaScript now running is done
 *   (a `process.nextTick`, the same turn as engine.io's own write callbacks) every held transport is
 *   writable again and emits `ready`, on which engine.io flushes the whole buffer in one batch.
 *   The order of a socket's packets is engine.io's buffer's: unchanged. `volatile` packets (not
 *   used here) would be dropped while held. The sockets are flushed shortest buffer first: each
 *   write may wake its client, which can take the CPU before the next write is made, so the
 *   clients with one packet (a per-intent subscription) are not kept waiting behind those with
 *   many (the all-intents room); docs/ingestion.md "Live latency".
 *
 * `ready` is the event engine.io's socket flushes on (engine.io 6.x `Socket.setTransport`), not a
 * documented interface: if a held socket does not flush on it, holding is switched off for good
 * (one warning) and the packets go out with the next flush. test/transport/coalesce-writes.test.ts
 * pins the behaviour of the installed engine.io. Polling needs none of this: a poll response
 * carries the whole buffer already.
 */

interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

interface EngineTransport {
  readonly name: string;
  writable: boolean;
  readonly socket?: { readonly _socket?: CorkableSocket };
  emit(event: 'ready'): unknown;
}

export interface EngineConn {
  readonly transport: EngineTransport;
  readonly readyState: string;
  /** packets waiting to be flushed (engine.io's `Socket.writeBuffer`; without it, the order is the holding order) */
  readonly writeBuffer?: readonly unknown[];
  on(event: 'flush' | 'drain' | 'packetCreate', listener: (packet: never) => void): unknown;
}

/** Listeners of the connection's own (calls `also` first on `packetCreate` and `flush`: one listener per event). */
export interface AlsoOn {
  packetCreate?(packet: unknown): void;
  flush?(): void;
}

export class WriteCoalescer {
  private holding = false;
  private enabled = true;
  /** transports marked not writable by `hold`, with their connections */
  private readonly held: { conn: EngineConn; transport: EngineTransport }[] = [];
  /** the connection that flushed last (`release` checks that a held one flushes on `ready`) */
  private flushed: EngineConn | null = null;

  constructor(private readonly warn: (msg: string) => void = () => undefined) {}

  /** Holds the packets of every websocket written to until the JavaScript now running is done. */
  hold(): void {
    if (this.holding || !this.enabled) return;
    this.holding = true;
    process.nextTick(() => this.release());
  }

  /**
   * Listens to the connection's `packetCreate`, `flush` and `drain`, calling `also`'s hooks from the
   * same listeners (Node's EventEmitter copies its listener array on every emit with more than one).
   */
  attach(conn: EngineConn, also: AlsoOn = {}): void {
    let corked: CorkableSocket | null = null;
    conn.on('packetCreate', (packet: unknown) => {
      also.packetCreate?.(packet);
      if (!this.holding) return;
      const transport = conn.transport;
      if (transport.name !== 'websocket' || !transport.writable) return;
      transport.writable = false;
      this.held.push({ conn, transport });
    });
    conn.on('flush', () => {
      also.flush?.();
      this.flushed = conn;
      if (corked !== null || conn.transport.name !== 'websocket') return;
      // ws keeps the TCP socket as `_socket` (ws/lib/websocket.js); no cork without it
      const tcp = conn.transport.socket?._socket;
      if (tcp === undefined || typeof tcp.cork !== 'function') return;
      tcp.cork();
      corked = tcp;
    });
    conn.on('drain', () => {
      const tcp = corked;
      corked = null;
      tcp?.uncork();
    });
  }

  private release(): void {
    this.holding = false;
    const held = this.held.splice(0);
    // the shortest first (a per-intent socket's one packet before an all-intents socket's many):
    // each write may wake a client that takes the CPU before the next write is made
    held.sort((a, b) => (a.conn.writeBuffer?.length ?? 0) - (b.conn.writeBuffer?.length ?? 0));
    for (const h of held) {
      if (h.transport.writable) continue;
      h.transport.writable = true;
      // engine.io flushes synchronously on `ready` (and not at all while the transport is not writable)
      this.flushed = null;
      h.transport.emit('ready');
      if (this.flushed !== h.conn && this.enabled && h.conn.readyState === 'open' && h.conn.transport === h.transport) {
        this.enabled = false;
        this.warn('engine.io did not flush a held socket on its transport\'s "ready": writes are no longer held per pipeline run');
      }
    }
  }
}
