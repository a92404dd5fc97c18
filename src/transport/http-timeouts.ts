/**
 * Slow HTTP (docs/socket-io.md, "Limits"): node:http's own `headersTimeout` and `requestTimeout`
 * (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, set in server.ts) close a connection whose
 * headers or body do not arrive in time. They report it as a `clientError`; with a listener
 * installed node no longer answers by itself, so this one answers as node would (408, or 400 for
 * a malformed request), closes the connection, and counts the timeouts.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Metrics } from './metrics.js';

export function onHttpTimeout(server: Server, metrics: Metrics): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) metrics.httpTimeouts.inc();
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = timedOut
      ? '408 Request Timeout'
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}
