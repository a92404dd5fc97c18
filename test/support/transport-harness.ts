/**
 * A running transport (Socket.IO + HTTP on an ephemeral port) over a real Pipeline with an
 * in-memory dead-letter sink: no Kafka. Tests feed canonical events as JSON records, catch up,
 * and talk to the server with the real `socket.io-client` over websocket or polling.
 *
 *   const h = await startHarness({ env: { STATS_INTERVAL_MS: '50' } });
 *   await h.feed([ev.submitted(ID)]);         // records → pipeline.applyBatch
 *   h.catchUp();                              // the source's replay ends: pipeline and transport go live
 *   const c = await h.connect('websocket');
 *   const status = nextEvent(c, 'intent:status');
 *   c.emit('subscribe:intent', ID);
 *   await status;
 *   await h.close();
 */
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { loadConfig, type Config } from '../../src/config.js';
import type { Ack, ClientToServerEvents, ServerEventName, ServerToClientEvents } from '../../src/contract/socket.js';
import type { EventType, IntentEventInput } from '../../src/contract/events.js';
import type { DeadLetterSink, EventSource, ReplayProgress, SourceBatch, SourceHandlers, SourceRecord } from '../../src/ingest/source.js';
import { createLogger, type Logger } from '../../src/log.js';
import { Stream } from '../../src/fanout/stream.js';
import { DEFAULT_RESUME_WINDOW, Pipeline, runPipeline } from '../../src/pipeline.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { Metrics } from '../../src/transport/metrics.js';
import { createTransport, type SocketTransport } from '../../src/transport/server.js';
import type { Readiness } from '../../src/transport/transport.js';

export type TransportName = 'websocket' | 'polling';
export const TRANSPORTS: readonly TransportName[] = ['websocket', 'polling'];

export type Client = ClientSocket<ServerToClientEvents, ClientToServerEvents>;
export type Payload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];

/** Emission timestamps the harness clock returns unless a test moves it: 2030-01-01T00:00:00Z. */
export const FIXED_NOW = Date.parse('2030-01-01T00:00:00.000Z');

export const LIFECYCLE_TOPIC = 'intents.lifecycle';
export const PROOFS_TOPIC = 'intents.proofs';

export interface HarnessOptions {
  /** RESUME_WINDOW of the stream */
  readonly resumeWindow?: number;
  /** configuration variables on top of PORT=0, HOST=127.0.0.1 and a high rate limit */
  readonly env?: Record<string, string>;
  /** catch up right after start (default false: the transport starts in replay mode) */
  readonly live?: boolean;
  /** directory served as public/ (default: the package's public/) */
  readonly publicDir?: string;
  /** the descriptor limit the connection caps see (default: the process's own) */
  readonly fdLimit?: number | null;
  /** the transport's logger (default: silent) */
  readonly logger?: Logger;
}

export interface Harness {
  readonly config: Config;
  readonly url: string;
  readonly port: number;
  readonly transport: SocketTransport;
  readonly pipeline: Pipeline;
  readonly metrics: Metrics;
  /** records the pipeline dead-lettered, with reasons */
  readonly deadLetters: { record: SourceRecord; reason: string }[];
  /** the emission clock; tests may set it */
  now: number;
  /** Applies events in order, as JSON records of their topic (one batch per run of one topic). */
  feed(events: readonly IntentEventInput[]): Promise<void>;
  /** Applies raw record values (strings) on the lifecycle topic. */
  feedRaw(values: readonly string[]): Promise<void>;
  /** The replay is over (the source reports caught up): the pipeline and the transport go live. */
  catchUp(): void;
  /** A connected client on one transport, no reconnection; closed by close(). */
  connect(transport: TransportName, opts?: { auth?: Record<string, unknown> }): Promise<Client>;
  /** Closes every client, then the transport. */
  close(): Promise<void>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', RATE_LIMIT_PER_SECOND: '10000', LOG_LEVEL: 'silent', ...opts.env });
  const logger = opts.logger ?? createLogger('silent', { pretty: false });
  const metrics = new Metrics({ defaultMetrics: false });
  const deadLetters: { record: SourceRecord; reason: string }[] = [];
  const dlq: DeadLetterSink = {
    write: (record, reason) => {
      deadLetters.push({ record, reason });
      return Promise.resolve();
    },
  };
  const clients: Client[] = [];
  const offsets = new Map<string, number>();
  const source = new HandFedSource();
  let caughtUp = false;
  const readiness = (): Readiness =>
    caughtUp ? { ready: true, reason: null, caughtUp: true } : { ready: false, reason: 'catching up (0%)', caughtUp: false };
  const clock = (): number => harness.now;

  const store = new ProjectionStore();
  const topics = { lifecycle: LIFECYCLE_TOPIC, proofs: PROOFS_TOPIC };
  const stream = new Stream(topics, opts.resumeWindow ?? DEFAULT_RESUME_WINDOW, config.RESUME_WINDOW_BYTES);
  const transport = createTransport(
    { config, logger, metrics, store, stream, readiness, clock },
    {
      ...(opts.publicDir !== undefined ? { publicDir: opts.publicDir } : {}),
      ...(opts.fdLimit !== undefined ? { fdLimit: opts.fdLimit } : {}),
    },
  );
  const pipeline = new Pipeline({ store, sink: transport, dlq, clock, topics, stream });
  const port = await transport.listen();
  const run = await runPipeline(pipeline, source, { onCaughtUp: () => (caughtUp = true) });

  const harness: Harness = {
    config,
    url: `http://127.0.0.1:${port}`,
    port,
    transport,
    pipeline,
    metrics,
    deadLetters,
    now: FIXED_NOW,
    async feed(events) {
      let current: { topic: string; values: string[] } | null = null;
      const runs: { topic: string; values: string[] }[] = [];
      for (const e of events) {
        const topic = e.type.startsWith('proof.') ? PROOFS_TOPIC : LIFECYCLE_TOPIC;
        if (current === null || current.topic !== topic) {
          current = { topic, values: [] };
          runs.push(current);
        }
        current.values.push(JSON.stringify(e));
      }
      for (const r of runs) await source.deliver(batch(r.topic, r.values, offsets));
    },
    async feedRaw(values) {
      await source.deliver(batch(LIFECYCLE_TOPIC, values, offsets));
    },
    catchUp() {
      source.catchUp();
    },
    async connect(name, connectOpts = {}) {
      const socket: Client = ioClient(harness.url, {
        transports: [name],
        forceNew: true,
        reconnection: false,
        timeout: 5000,
        ...(connectOpts.auth !== undefined ? { auth: connectOpts.auth } : {}),
      });
      clients.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', (err) => reject(err));
      });
      const used = socket.io.engine.transport.name;
      if (used !== name) throw new Error(`connected over ${used}, expected ${name}`);
      return socket;
    },
    async close() {
      for (const c of clients) c.disconnect();
      await run.stop();
      await transport.close();
    },
  };
  if (opts.live === true) harness.catchUp();
  return harness;
}

/**
 * An `EventSource` the test hands batches to: `deliver` is one batch of the source, `catchUp` the
 * moment its replay ends. The harness runs its pipeline over it like the service runs one over Kafka.
 */
class HandFedSource implements EventSource {
  private handlers: SourceHandlers | null = null;
  private caughtUp = false;
  private read = 0;

  async start(handlers: SourceHandlers): Promise<void> {
    this.handlers = handlers;
    handlers.onConnectionChange?.(true);
  }

  async deliver(b: SourceBatch): Promise<void> {
    if (this.handlers === null) throw new Error('the source is not started');
    this.read += b.records.length;
    await this.handlers.onBatch(b);
  }

  catchUp(): void {
    if (this.caughtUp || this.handlers === null) return;
    this.caughtUp = true;
    this.handlers.onCaughtUp();
  }

  progress(): ReplayProgress {
    return { caughtUp: this.caughtUp, recordsRead: this.read, recordsToReplay: 0, partitions: [] };
  }

  async stop(): Promise<void> {
    this.handlers = null;
  }
}

function batch(topic: string, values: readonly string[], offsets: Map<string, number>): SourceBatch {
  const records: SourceRecord[] = values.map((v) => {
    const offset = offsets.get(topic) ?? 0;
    offsets.set(topic, offset + 1);
    return { topic, partition: 0, offset: String(offset), key: null, value: Buffer.from(v), headers: {} };
  });
  return { topic, partition: 0, records };
}

// ---------------------------------------------------------------------------------------------
// Client helpers

/** Resolves with the next payload of `event` on `socket`; rejects after `timeoutMs`. */
export function nextEvent<E extends ServerEventName>(socket: Client, event: E, timeoutMs = 3000): Promise<Payload<E>> {
  return new Promise((resolve, reject) => {
    const untyped = socket as unknown as ClientSocket;
    const name: string = event;
    const timer = setTimeout(() => {
      untyped.off(name, onEvent);
      reject(new Error(`no ${event} within ${timeoutMs}ms`));
    }, timeoutMs);
    const onEvent = (payload: Payload<E>): void => {
      clearTimeout(timer);
      untyped.off(name, onEvent);
      resolve(payload);
    };
    untyped.on(name, onEvent);
  });
}

/** Every server event a socket receives, in order (attach before the events can arrive). */
export interface Recorder {
  readonly all: { event: string; payload: unknown }[];
  of<E extends ServerEventName>(event: E): Payload<E>[];
  names(): string[];
}

export function record(socket: Client): Recorder {
  const all: { event: string; payload: unknown }[] = [];
  socket.onAny((event: string, payload: unknown) => all.push({ event, payload }));
  return {
    all,
    of: <E extends ServerEventName>(event: E) => all.filter((r) => r.event === event).map((r) => r.payload as Payload<E>),
    names: () => all.map((r) => r.event),
  };
}

/** Emits a client event with an acknowledgement callback; resolves with the ack. */
export function emitAck(socket: Client, event: string, ...args: unknown[]): Promise<Ack> {
  const untyped = socket as unknown as ClientSocket;
  return untyped.timeout(3000).emitWithAck(event, ...args) as Promise<Ack>;
}

/**
 * Waits until everything the server sent this socket before now has arrived: a ping/pong round
 * trip (the server answers in order on one connection). Uses one rate-limit token.
 */
export async function barrier(socket: Client): Promise<void> {
  const pong = nextEvent(socket, 'pong');
  socket.emit('ping');
  await pong;
}

/** Resolves once `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---------------------------------------------------------------------------------------------
// Canonical events

/** `0x` + 64 hex digits from a small number, lower-case: id(1) = 0x00…01. */
export function id(n: number): string {
  return `0x${n.toString(16).padStart(64, '0')}`;
}

let eventSeq = 0;

/** A canonical wire event; `at` is an ISO instant; eventId unique unless given. */
export function wire<T extends EventType>(
  type: T,
  intentId: string,
  at: string,
  data?: Extract<IntentEventInput, { type: T }>['data'],
  eventId?: string,
): IntentEventInput {
  return { eventId: eventId ?? `evt-${++eventSeq}`, type, intentId, occurredAt: at, data } as IntentEventInput;
}
