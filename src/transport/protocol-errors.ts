/**
 * Connections closed for breaking the protocol (docs/socket-io.md "Guards and errors"): Socket.IO
 * and engine.io close them on their own; this module makes each close a counted, logged refusal
 * that the client can read, instead of a silent one.
 *
 * - **A packet Socket.IO cannot decode** (not JSON, an event name that is not a string or is
 *   reserved such as `connect`, binary data without the header that announces it, too many
 *   attachments): Socket.IO emits `error` on every socket of the connection, then closes it. The
 *   client is sent `error` `{event: "", code: "INVALID_PAYLOAD", message}` first (the close waits
 *   for it to be written); `intent_projector_forced_disconnects_total{reason="invalid_packet"}`.
 * - **A message over `MAX_MESSAGE_BYTES`** (Socket.IO `maxHttpBufferSize`): engine.io stops
 *   reading it and closes the transport (websocket close code 1009, polling HTTP 413), before any
 *   of it could be answered; `intent_projector_forced_disconnects_total{reason="message_too_large"}`.
 *
 * Both get one warn line per kind per 10 s (folded-log.ts). Other sockets are never affected.
 */
import type { Logger } from '../log.js';
import { FoldedLog } from './folded-log.js';
import type { Metrics } from './metrics.js';

interface EngineConn {
  readonly remoteAddress?: string;
  on(event: 'close', listener: (reason: string, description?: unknown) => void): unknown;
}

interface ErrorSocket {
  readonly id: string;
  readonly connected: boolean;
  readonly conn: { readonly remoteAddress?: string };
  on(event: 'error', listener: (err: Error) => void): unknown;
  emit(event: 'error', payload: { event: string; code: 'INVALID_PAYLOAD'; message: string }): unknown;
}

interface ProtocolServer {
  readonly engine: { on(event: 'connection', listener: (conn: EngineConn) => void): unknown };
  on(event: 'connection', listener: (socket: ErrorSocket) => void): unknown;
}

/** What engine.io passes with a "transport error" close when a message was over maxHttpBufferSize. */
export function isOversized(description: unknown): boolean {
  const text = typeof description === 'string' ? description : description instanceof Error ? description.message : '';
  // websocket (ws): "Max payload size exceeded"; polling: "payload too large"
  return /max payload size exceeded|payload too large/i.test(text);
}

/** Counts, logs and answers the protocol errors of every connection of `io` (call before any connects). */
export function reportProtocolErrors(
  io: ProtocolServer,
  config: { readonly MAX_MESSAGE_BYTES: number },
  metrics: Metrics,
  logger: Pick<Logger, 'warn'>,
): void {
  const log = new FoldedLog(logger, 'disconnectedSinceLastLine');
  io.engine.on('connection', (conn) => {
    conn.on('close', (reason, description) => {
      if (reason !== 'transport error' || !isOversized(description)) return;
      metrics.disconnects.inc({ reason: 'message_too_large' });
      log.warn(
        'message_too_large',
        { from: conn.remoteAddress, maxMessageBytes: config.MAX_MESSAGE_BYTES },
        `client disconnected: a message larger than MAX_MESSAGE_BYTES (${config.MAX_MESSAGE_BYTES})`,
      );
    });
  });
  io.on('connection', (socket) => {
    socket.on('error', (err) => {
      // (Socket.IO emits it on each socket of the connection, right before closing the connection)
      if (!socket.connected) return;
      const message = `not a Socket.IO packet this server can decode (${err.message}); the connection is closed`;
      socket.emit('error', { event: '', code: 'INVALID_PAYLOAD', message });
      metrics.clientErrors.inc({ code: 'INVALID_PAYLOAD' });
      metrics.disconnects.inc({ reason: 'invalid_packet' });
      log.warn(
        'invalid_packet',
        { socket: socket.id, from: socket.conn.remoteAddress, error: err.message },
        'client disconnected: a packet Socket.IO cannot decode',
      );
    });
  });
}
