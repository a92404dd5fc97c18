/**
 * Origins (docs/socket-io.md, "Limits"): with CORS_ORIGINS set to a list, a Socket.IO handshake
 * (websocket or polling) whose `Origin` header names another origin is refused, through engine.io's
 * `allowRequest` (HTTP 403 for polling, 400 for a websocket upgrade). CORS headers alone would only
 * stop a browser from reading polling responses; they never stop a websocket.
 *
 * A handshake without an `Origin` header is allowed: browsers send one on every websocket and
 * cross-origin request, so its absence means a same-origin page or a non-browser client (which
 * could send any header anyway).
 */
import type { IncomingMessage } from 'node:http';
import type { Metrics } from './metrics.js';

export type AllowRequest = (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => void;

/** `allowRequest` for engine.io; undefined when every origin is allowed (`*`). */
export function originCheck(origins: readonly string[], metrics: Metrics): AllowRequest | undefined {
  if (origins.includes('*')) return undefined;
  const allowed = new Set(origins.map(normalizeOrigin));
  return (req, callback) => {
    const origin = req.headers.origin;
    if (origin === undefined || allowed.has(normalizeOrigin(origin))) {
      callback(null, true);
      return;
    }
    metrics.connectionsRefused.inc({ reason: 'origin' });
    callback('origin not allowed (CORS_ORIGINS)', false);
  };
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
