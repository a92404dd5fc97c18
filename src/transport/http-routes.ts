/**
 * HTTP on the Socket.IO port (contract.md section 6), a plain node:http request handler:
 *
 *   GET /healthz            200 {status:'ok'}                    (the process is alive)
 *   GET /readyz             200 {status:'ready'} | 503 {status:'not_ready', reason}
 *   GET /metrics            Prometheus text
 *   GET /intents/:intentId  200 formatted intent | 404 {error} | 400 {error} (malformed id)
 *   GET /intents/:intentId/settlement-proof  200 the intent:settlement_proof payload | 404 | 400
 *   GET /stats              200 mempool stats
 *   GET /asyncapi.json      200 the AsyncAPI 3.0 document of the Socket.IO contract (src/asyncapi.ts)
 *   GET /vendor/uplot/...   the chart library's browser build (node_modules/uplot/dist)
 *   GET /, /<file>          static files of public/ (404 when missing)
 *
 * HEAD is answered like GET without a body; any other method is 405. Requests under
 * `/socket.io/` never get here: Socket.IO intercepts them on the same http server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildAsyncApi } from '../asyncapi.js';
import type { Config } from '../config.js';
import { formatIntent, formatSettlementProof } from '../fanout/format.js';
import type { Logger } from '../log.js';
import { isIntentId } from './guards.js';
import type { Metrics } from './metrics.js';
import { serveStatic, VENDOR_DIRS } from './static-files.js';
import type { ProjectionReader, Readiness } from './transport.js';

export interface HttpRouteDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: ProjectionReader;
  readonly readiness: () => Readiness;
  readonly clock: () => number;
  /** directory of static files (public/) */
  readonly publicDir: string;
  /** refreshes the socket gauges just before a scrape */
  readonly beforeScrape: () => void;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const INTENT_PATH = /^\/intents\/([^/]+?)(\/settlement-proof)?$/;

/** Built on first request: the same for every request of the process. */
let asyncApi: ReturnType<typeof buildAsyncApi> | undefined;

export function createRequestHandler(deps: HttpRouteDeps): RequestHandler {
  return (req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      deps.logger.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' }, req);
      else res.destroy();
    });
  };
}

async function route(deps: HttpRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { error: `method ${method} not allowed` }, req);
    return;
  }
  cors(deps.config, req, res);
  const pathname = pathOf(req.url);

  if (pathname === '/healthz') return sendJson(res, 200, { status: 'ok' }, req);

  if (pathname === '/readyz') {
    const r = deps.readiness();
    if (r.ready) return sendJson(res, 200, { status: 'ready', caughtUp: r.caughtUp }, req);
    return sendJson(res, 503, { status: 'not_ready', reason: r.reason, caughtUp: r.caughtUp }, req);
  }

  if (pathname === '/metrics') {
    deps.beforeScrape();
    const text = await deps.metrics.scrape();
    return send(res, 200, deps.metrics.registry.contentType, text, req);
  }

  if (pathname === '/stats') return sendJson(res, 200, deps.store.stats(), req);

  if (pathname === '/asyncapi.json') return sendJson(res, 200, (asyncApi ??= buildAsyncApi()), req);

  const intent = INTENT_PATH.exec(pathname);
  if (intent !== null) {
    const raw = safeDecode(intent[1] ?? '');
    if (raw === null || !isIntentId(raw)) {
      return sendJson(res, 400, { error: 'intentId must be 0x followed by 64 hex digits' }, req);
    }
    const id = raw.toLowerCase();
    const projection = deps.store.get(id);
    if (projection === undefined) return sendJson(res, 404, { error: `intent ${id} not found`, intentId: id }, req);
    if (intent[2] === undefined) return sendJson(res, 200, formatIntent(projection, deps.clock()), req);
    const proof = projection.settlementProof;
    if (proof === null) return sendJson(res, 404, { error: `intent ${id} has no settlement proof`, intentId: id }, req);
    return sendJson(res, 200, formatSettlementProof(id, proof, deps.clock()), req);
  }

  for (const [prefix, dir] of Object.entries(VENDOR_DIRS)) {
    if (pathname.startsWith(prefix) && (await serveStatic(dir, pathname.slice(prefix.length - 1), res, method === 'HEAD'))) return;
  }
  if (await serveStatic(deps.publicDir, pathname, res, method === 'HEAD')) return;
  send(res, 404, 'text/plain; charset=utf-8', 'not found\n', req);
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** Cross-origin reads of the JSON endpoints, with the same origins as Socket.IO. */
function cors(config: Config, req: IncomingMessage, res: ServerResponse): void {
  if (config.CORS_ORIGINS.includes('*')) {
    res.setHeader('access-control-allow-origin', '*');
    return;
  }
  const origin = req.headers.origin;
  res.setHeader('vary', 'Origin');
  if (origin !== undefined && config.CORS_ORIGINS.includes(origin)) res.setHeader('access-control-allow-origin', origin);
}

function sendJson(res: ServerResponse, status: number, body: unknown, req: IncomingMessage): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), req);
}

function send(res: ServerResponse, status: number, type: string, body: string, req: IncomingMessage): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
