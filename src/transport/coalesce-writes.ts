/**
 * One write per flush: engine.io hands its websocket transport every packet waiting in a socket's
 * write buffer at once (`flush`), and the transport writes them frame by frame; `ws` corks and
 * uncorks the TCP socket around each frame, so each packet costs a `writev` system call. Profiled
 * under bench/latency.ts, those system calls were the service's largest CPU cost (BENCHMARKS.md).
 *
 * Corking the TCP socket from engine.io's `flush` event (emitted just before the batch is handed
 * to the transport) to its `drain` event (emitted just after, synchronously) makes the frames of
 * one flush leave in one `writev`. Nothing is delayed: the uncork happens in the same tick.
 * Polling needs nothing: a poll response carries the whole batch already.
 */

interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

interface EngineConn {
  readonly transport: { readonly name: string; readonly socket?: { readonly _socket?: CorkableSocket } };
  on(event: 'flush' | 'drain', listener: () => void): unknown;
}

export function coalesceWrites(conn: EngineConn): void {
  let corked: CorkableSocket | null = null;
  conn.on('flush', () => {
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
