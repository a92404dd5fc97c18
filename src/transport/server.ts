/**
 * The transport: one node:http server carrying Socket.IO (path `/socket.io`, websocket and
 * polling) and the HTTP routes (a fastify app on that server, http-app.ts), on config HOST/PORT
 * (docs/contract.md § Socket.IO and § HTTP).
 *
 * - `deliver(emissions)`: one room broadcast per emission, `io.to(rooms).emit(event, payload)`.
 *   Socket.IO's adapter encodes the packet once per broadcast and writes the same bytes to
 *   every socket of the rooms (a socket in several of them receives it once). An all-intents
 *   emission also goes to the rooms of the filters its intent matches (filters.ts). Emissions to
 *   rooms without members are counted but not broadcast (the adapter would encode them first).
 *   The packets of one run of the pipeline leave in one write per socket (coalesce-writes.ts).
 * - `advanced()`: resumes waiting for this node to reach a client's position go on.
 * - `statsChanged()`: `mempool:stats` to the all-intents room, coalesced (stats-broadcaster.ts).
 * - `caughtUp()`: answers the subscriptions that waited for the replay (socket-handlers.ts).
 */
import { createServer } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { Server } from 'socket.io';
import { ALL_INTENTS_ROOM, FILTER_ROOM_PREFIX, type ClientToServerEvents, type ServerToClientEvents } from '../contract/socket.js';
import type { PositionedEmission } from '../fanout/emissions.js';
import { FilterIndex } from '../fanout/filters.js';
import { WriteCoalescer, type EngineConn } from './coalesce-writes.js';
import { ConnectionLimits } from './connection-limits.js';
import { onHttpTimeout } from './http-timeouts.js';
import { createHttpApp } from './http-app.js';
import { guardFloods } from './flood-guard.js';
import { originCheck } from './origin-check.js';
import { reportProtocolErrors } from './protocol-errors.js';
import { SlowConsumers } from './slow-consumers.js';
import { SocketHandlers, type IntentServer } from './socket-handlers.js';
import { StatsBroadcaster } from './stats-broadcaster.js';
import { Subscriptions } from './subscriptions.js';
import { PUBLIC_DIR } from './static-files.js';
import type { Transport, TransportDeps } from './transport.js';

export const SOCKET_IO_PATH = '/socket.io';

/** The transport with its Socket.IO server exposed (tests, embedding). */
export interface SocketTransport extends Transport {
  readonly io: IntentServer;
}

export interface TransportOptions {
  /** directory of static files; the package's public/ by default */
  readonly publicDir?: string;
  /** the process's descriptor limit as the connection caps see it (tests); read from the OS by default */
  readonly fdLimit?: number | null;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export function createTransport(deps: TransportDeps, opts: TransportOptions = {}): SocketTransport {
  const { config, logger, metrics, store, stream } = deps;
  const filters = new FilterIndex();
  const clock = deps.clock ?? Date.now;

  let io!: IntentServer;
  const refreshGauges = (): void => {
    const nsp = io.of('/');
    metrics.connectedSockets.set(nsp.sockets.size);
    let intentSubs = 0;
    let filterSubs = 0;
    for (const [room, members] of nsp.adapter.rooms) {
      if (room.startsWith('intent:')) intentSubs += members.size;
      else if (room.startsWith(FILTER_ROOM_PREFIX)) filterSubs += members.size;
    }
    metrics.subscriptions.set({ kind: 'intent' }, intentSubs);
    metrics.subscriptions.set({ kind: 'filter' }, filterSubs);
    metrics.resumeWindow.set(stream.window.size);
    metrics.resumeWindowBytes.set(stream.window.byteSize);
    metrics.subscriptions.set({ kind: 'all' }, nsp.adapter.rooms.get(ALL_INTENTS_ROOM)?.size ?? 0);
  };

  const app = createHttpApp(
    {
      config,
      logger,
      metrics,
      store,
      stream,
      readiness: deps.readiness,
      clock,
      publicDir: opts.publicDir ?? PUBLIC_DIR,
      beforeScrape: refreshGauges,
    },
    (handler) =>
      createServer(
        {
          // slow HTTP: headers and whole requests must arrive in time, checked every second
          headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
          requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
          connectionsCheckingInterval: Math.min(1000, config.HTTP_HEADERS_TIMEOUT_MS),
        },
        handler,
      ),
  );
  const httpServer = app.server;
  const limits = new ConnectionLimits({
    maxConnections: config.MAX_CONNECTIONS,
    maxPerIp: config.MAX_CONNECTIONS_PER_IP,
    trustProxy: config.TRUST_PROXY,
    fdHeadroom: config.FD_HEADROOM,
    metrics,
    logger,
    ...(opts.fdLimit !== undefined ? { fdLimit: opts.fdLimit } : {}),
  });
  onHttpTimeout(httpServer, metrics);
  // Track raw connections so close() can end keep-alive and upgraded ones too.
  const connections = new Set<NetSocket>();
  httpServer.on('connection', (c: NetSocket) => {
    if (!limits.acceptConnection(c)) return;
    connections.add(c);
    c.once('close', () => connections.delete(c));
  });

  const anyOrigin = config.CORS_ORIGINS.includes('*');
  io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
    path: SOCKET_IO_PATH,
    transports: ['polling', 'websocket'],
    serveClient: true,
    maxHttpBufferSize: config.MAX_MESSAGE_BYTES,
    cors: { origin: anyOrigin ? '*' : [...config.CORS_ORIGINS], methods: ['GET', 'POST'] },
    perMessageDeflate: false,
    ...optional('allowRequest', originCheck(config.CORS_ORIGINS, metrics)),
  });
  io.engine.use(limits.middleware);
  limits.attach(io.engine);

  let live = false;
  try {
    live = deps.readiness().caughtUp;
  } catch {
    live = false;
  }
  const slow = new SlowConsumers({ maxBytes: config.MAX_SOCKET_BUFFER_BYTES, graceMs: config.SLOW_CONSUMER_GRACE_MS, metrics, logger });
  const subscriptions = new Subscriptions({
    store,
    stream,
    filters,
    metrics,
    clock,
    maxFilterSnapshot: config.MAX_FILTER_SNAPSHOT,
    resumeWaitMs: config.RESUME_WAIT_MS,
    // a resume writes until the socket holds its bound (then it is slow, and the grace runs), and
    // goes on once it drained to half of it (subscriptions.ts `resume`)
    pace: {
      bytes: config.MAX_SOCKET_BUFFER_BYTES,
      held: (id) => slow.held(id),
      whenBelow: (id, bytes, then) => slow.whenBelow(id, bytes, then),
    },
  });
  const handlers = new SocketHandlers({ config, logger, metrics, store, clock, live, subscriptions });
  guardFloods(io, config, metrics, logger);
  reportProtocolErrors(io, config, metrics, logger);
  const writes = new WriteCoalescer((msg) => logger.warn(msg));
  io.on('connection', (socket) => {
    writes.attach(socket.conn as unknown as EngineConn, slow.track(socket));
    handlers.attach(socket);
    metrics.connectedSockets.set(io.of('/').sockets.size);
    socket.on('disconnect', () => metrics.connectedSockets.set(io.of('/').sockets.size));
  });

  const stats = new StatsBroadcaster({
    intervalMs: config.STATS_INTERVAL_MS,
    read: () => store.stats(),
    send: (s) => {
      slow.target(io.to(ALL_INTENTS_ROOM), [ALL_INTENTS_ROOM], 'mempool:stats', s).emit('mempool:stats', s);
      metrics.emissions.inc({ event: 'mempool:stats' });
    },
  });

  // emissions per event, added to the counter when /metrics is read: prom-client hashes the labels
  // of every `inc`, a cost per emission on the live path (docs/ingestion.md "Live latency")
  const emitted = new Map<string, number>();
  metrics.onRefresh(() => {
    for (const [event, n] of emitted) if (n > 0) metrics.emissions.inc({ event }, n);
    emitted.clear();
  });

  let closed = false;
  let closing: Promise<void> | null = null;

  return {
    httpServer,
    io,
    listen: async () => {
      await app.ready();
      return new Promise<number>((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        httpServer.once('error', onError);
        httpServer.listen(config.PORT, config.HOST, () => {
          httpServer.off('error', onError);
          const address = httpServer.address();
          resolve(typeof address === 'object' && address !== null ? address.port : config.PORT);
        });
      });
    },
    deliver(emissions: readonly PositionedEmission[]): void {
      if (closed) return;
      const members = io.of('/').adapter.rooms;
      // the emissions of this run of the pipeline leave in one write per socket (coalesce-writes.ts)
      writes.hold();
      for (const e of emissions) {
        emitted.set(e.event, (emitted.get(e.event) ?? 0) + 1);
        const rooms = filters.size > 0 && e.rooms.includes(ALL_INTENTS_ROOM) ? [...e.rooms, ...filters.roomsFor(e.intent)] : e.rooms;
        // the adapter encodes a packet before it looks for members: skip rooms nobody is in
        // (most intent rooms; this node's in-memory adapter knows every member)
        if (!rooms.some((r) => members.has(r))) continue;
        // (`to` copies the rooms into a Set of its own)
        broadcast(slow.target(io.to(rooms as string[]), rooms, e.event, e.payload), e);
      }
    },
    advanced(): void {
      if (!closed) subscriptions.advanced();
    },
    statsChanged(): void {
      stats.changed();
    },
    caughtUp(): void {
      handlers.caughtUp();
    },
    close: () =>
      (closing ??= (async () => {
        closed = true;
        stats.close();
        subscriptions.close();
        handlers.close();
        io.disconnectSockets(true);
        const ioClosed = new Promise<void>((resolve) => {
          void io.close(() => resolve());
        });
        // io.close() closes the http server, which waits for idle keep-alive connections: end them.
        httpServer.closeAllConnections();
        for (const c of connections) c.destroy();
        await ioClosed;
      })()),
  };
}

/** `target.emit(event, payload)` for one emission (its event and payload are correlated). */
function broadcast(target: ReturnType<IntentServer['to']>, e: PositionedEmission): void {
  (target.emit as (this: typeof target, event: string, payload: unknown) => boolean).call(target, e.event, e.payload);
}
