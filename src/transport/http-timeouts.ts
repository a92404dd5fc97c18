/**
 * Slow HTTP (docs/socket-io.md, "Limits"): node:http's own `headersTimeout` and `requestTimeout`
 * (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, set in server.ts) cut a connection whose
 * headers or body do not arrive in time, and report it as a `clientError`. fastify's client error
 * handler answers it (408 with a JSON body) and closes the socket; this listener only counts the
 * timeouts for /metrics.
 */
import type { Server } from 'node:http';
import type { Metrics } from './metrics.js';

export function onHttpTimeout(server: Server, metrics: Metrics): void {
  server.on('clientError', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.httpTimeouts.inc();
  });
}
