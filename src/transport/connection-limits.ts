/**
 * Connection caps (docs/socket-io.md, "Limits"): at most MAX_CONNECTIONS Socket.IO connections in
 * total, MAX_CONNECTIONS_PER_IP per client address, and none near the process's file-descriptor
 * limit (FD_HEADROOM descriptors are kept free).
 *
 * - Handshakes (engine.io requests without `sid`) go through `middleware`, an engine.io middleware
 *   (`io.engine.use`), which runs before engine.io creates anything for the request. A refused
 *   handshake gets HTTP 429 (per address) or 503 (node full, descriptors) with the JSON body of
 *   `handshakeRefusalSchema` (src/contract/socket.ts); a websocket upgrade gets the same response
 *   written on the raw socket, which is then closed. engine.io's own `allowRequest` can only
 *   answer 403/400, hence the middleware.
 * - Counting: a handshake counts for its address from the moment `middleware` admits it (a
 *   reservation on the request), so handshakes admitted together can never pass a cap that none of
 *   them was counted against yet, whatever runs between admission and engine.io's `connection`
 *   (later middlewares, `allowRequest`, the websocket upgrade). The engine's `connection` turns the
 *   reservation into the connection's count, released on its `close`; a handshake that fails after
 *   admission releases it when its response ends (polling) or its TCP socket closes (websocket).
 *   The address is the TCP peer, or with TRUST_PROXY = n the n-th X-Forwarded-For entry from the
 *   right (the address the outermost trusted proxy saw).
 * - Raw TCP connections (`acceptConnection`, from the http server's `connection` event) are
 *   refused with a 503 written on the socket once the descriptors in use reach the limit minus
 *   half the headroom, so the process never runs out silently. Descriptors in use are sampled from
 *   /proc/self/fd at most once a second, plus the connections opened or closed since.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import type { HandshakeRefusal } from '../contract/socket.js';
import type { Logger } from '../log.js';
import { FoldedLog } from './folded-log.js';
import type { Metrics } from './metrics.js';

export type ConnectionLimit = HandshakeRefusal['limit'];

export interface ConnectionLimitsOptions {
  readonly maxConnections: number;
  readonly maxPerIp: number;
  /** trusted proxy hops (TRUST_PROXY); 0 = use the TCP peer address */
  readonly trustProxy: number;
  readonly fdHeadroom: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** the soft descriptor limit; read from /proc/self/limits by default (null: unknown, no guard) */
  readonly fdLimit?: number | null;
  /** descriptors open now; counts /proc/self/fd by default */
  readonly openFds?: () => number;
}

/** A handshake admitted by `middleware`: counted until released (failed handshake) or its connection closes. */
interface Reservation {
  readonly ip: string;
  state: 'reserved' | 'open' | 'released';
}
const RESERVATION = Symbol('connection-limits reservation');
type ReservedRequest = IncomingMessage & { [RESERVATION]?: Reservation };

const FD_SAMPLE_MS = 1000;

interface EngineLike {
  on(event: 'connection', listener: (conn: { request: IncomingMessage; once(e: 'close', l: () => void): unknown }) => void): unknown;
}

export class ConnectionLimits {
  private readonly perIp = new Map<string, number>();
  private total = 0;
  private raw = 0;
  private fdBase = 0;
  private fdSampledAt = Number.NEGATIVE_INFINITY;
  private readonly fdLimit: number | null;
  private readonly openFds: () => number;
  /** one refusal line per limit per 10 s (folded-log.ts) */
  private readonly log: FoldedLog;

  constructor(private readonly opts: ConnectionLimitsOptions) {
    this.fdLimit = opts.fdLimit === undefined ? readFdLimit() : opts.fdLimit;
    this.openFds = opts.openFds ?? countOpenFds;
    this.log = new FoldedLog(opts.logger, 'refusedSinceLastLine');
  }

  /** Engine.IO connections currently counted (total). */
  get connections(): number {
    return this.total;
  }

  /** Starts counting the engine's connections. */
  attach(engine: EngineLike): void {
    engine.on('connection', (conn) => {
      const reservation = (conn.request as ReservedRequest)[RESERVATION];
      let ip: string;
      if (reservation?.state === 'reserved') {
        reservation.state = 'open';
        ip = reservation.ip;
      } else {
        // not admitted by the middleware (or its reservation was released first): count it now
        ip = clientAddress(conn.request, this.opts.trustProxy);
        this.add(ip);
      }
      conn.once('close', () => this.remove(ip));
    });
  }

  /** engine.io middleware: refuses handshakes over a cap, reserves a count for the others; other requests pass. */
  readonly middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: Error) => void): void => {
    const query = (req as IncomingMessage & { _query?: Record<string, string> })._query;
    if (query?.['sid'] !== undefined) {
      next();
      return;
    }
    const limit = this.check(req);
    if (limit !== null) {
      this.refuse(req, res, limit);
      return;
    }
    this.reserve(req as ReservedRequest, res);
    next();
  };

  /** Counts an admitted handshake until its connection opens, or releases it when the handshake fails. */
  private reserve(req: ReservedRequest, res: ServerResponse): void {
    const reservation: Reservation = { ip: clientAddress(req, this.opts.trustProxy), state: 'reserved' };
    req[RESERVATION] = reservation;
    this.add(reservation.ip);
    const release = (): void => {
      if (reservation.state !== 'reserved') return;
      reservation.state = 'released';
      this.remove(reservation.ip);
    };
    // polling: the handshake's response ends after engine.io's `connection` (it carries the open
    // packet) or with the refusal; websocket: engine.io hands middlewares a stand-in response, and
    // a failed upgrade destroys the TCP socket
    if (res instanceof ServerResponse) res.once('close', release);
    else req.socket.once('close', release);
  }

  private add(ip: string): void {
    this.total++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
  }

  private remove(ip: string): void {
    this.total--;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }

  /** Called for every accepted TCP connection; false when it was refused (already answered and closed). */
  acceptConnection(socket: NetSocket): boolean {
    if (this.fdLimit !== null && this.fdsInUse() >= this.fdLimit - Math.floor(this.opts.fdHeadroom / 2)) {
      this.count('fd_limit', 'raw connection');
      socket.on('error', () => undefined);
      socket.end(rawResponse(503, refusal('fd_limit')));
      setTimeout(() => socket.destroy(), 1000).unref();
      return false;
    }
    this.raw++;
    socket.once('close', () => this.raw--);
    return true;
  }

  private check(req: IncomingMessage): ConnectionLimit | null {
    if (this.fdLimit !== null && this.fdsInUse() >= this.fdLimit - this.opts.fdHeadroom) return 'fd_limit';
    if (this.total >= this.opts.maxConnections) return 'total';
    const ip = clientAddress(req, this.opts.trustProxy);
    if ((this.perIp.get(ip) ?? 0) >= this.opts.maxPerIp) return 'per_ip';
    return null;
  }

  private refuse(req: IncomingMessage, res: ServerResponse, limit: ConnectionLimit): void {
    this.count(limit, clientAddress(req, this.opts.trustProxy));
    const status = limit === 'per_ip' ? 429 : 503;
    const body = refusal(limit);
    if (res instanceof ServerResponse) {
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '5', connection: 'close' });
      res.end(JSON.stringify(body));
      return;
    }
    // a websocket upgrade: engine.io hands middlewares a stand-in response; answer on the socket
    const socket = req.socket;
    socket.on('error', () => undefined);
    if (socket.writable) socket.end(rawResponse(status, body));
    else socket.destroy();
  }

  private count(limit: ConnectionLimit, who: string): void {
    this.opts.metrics.connectionsRefused.inc({ reason: limit });
    this.log.warn(
      limit,
      { limit, from: who, connections: this.total, fdLimit: this.fdLimit },
      `connection refused: ${refusal(limit).message}`,
    );
  }

  private fdsInUse(): number {
    const now = performance.now();
    if (now - this.fdSampledAt >= FD_SAMPLE_MS) {
      this.fdSampledAt = now;
      this.fdBase = this.openFds() - this.raw;
    }
    return this.fdBase + this.raw;
  }
}

export function refusal(limit: ConnectionLimit): HandshakeRefusal {
  const message =
    limit === 'per_ip'
      ? 'too many connections from this address (MAX_CONNECTIONS_PER_IP)'
      : limit === 'total'
        ? 'this node has reached MAX_CONNECTIONS; try again later or another node'
        : 'this node is close to its file-descriptor limit; try again later or another node';
  return { code: 'TOO_MANY_CONNECTIONS', message, limit };
}

function rawResponse(status: 429 | 503, body: HandshakeRefusal): string {
  const text = JSON.stringify(body);
  const reason = status === 429 ? 'Too Many Requests' : 'Service Unavailable';
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nRetry-After: 5\r\nConnection: close\r\n` +
    `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
  );
}

/** The client's address: the TCP peer, or with `trustProxy` hops the matching X-Forwarded-For entry. */
export function clientAddress(req: IncomingMessage, trustProxy: number): string {
  const peer = normalize(req.socket.remoteAddress ?? 'unknown');
  if (trustProxy <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const chain = [...forwarded, peer];
  return normalize(chain[Math.max(0, chain.length - 1 - trustProxy)]!);
}

function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The soft RLIMIT_NOFILE from /proc/self/limits (Linux); null when unknown or unlimited. */
export function readFdLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function countOpenFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}
