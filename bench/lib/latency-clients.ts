/**
 * Child process of bench/latency.ts (forked with an IPC channel, `--import tsx`), so the Socket.IO
 * clients never share the service's (or the producer's) event loop.
 *
 * Protocol (process messages):
 *   parent → { type: 'start', url, intents: string[], all: number }
 *     connects one websocket client per intent (`subscribe:intent`) plus `all` clients in the
 *     all-intents room (`subscribe:all`), then answers { type: 'ready', connectMs }
 *   parent → { type: 'measure' }  the measured traffic starts (after the warm-up): resets the event-loop histogram
 *   parent → { type: 'report' }   answers { type: 'counts', perIntent, allRoom, snapshots }
 *   parent → { type: 'finish', from }  answers { type: 'result', ... } with latency summaries of the
 *     payloads produced at or after `from` (epoch ms: the warm-up's are not measured), then exits
 *
 * Latency = Date.now() at receipt − Date.parse(payload.updatedAt): the producer sets occurredAt
 * (→ updatedAt) to Date.now() when it sends. Recorded for `intent:status` on the per-intent
 * clients (after the subscription's ack: the snapshot sent on subscribe is not counted) and for
 * `intent:new` / `intent:status_changed` on the all-room clients.
 *
 * Where it is spent, per payload: `server` = payload.timestamp − updatedAt (produce → the service
 * computed the emission: the broker, the fetch and the fold), `delivery` = receipt − timestamp (the
 * fan-out, the socket and this process's own event loop). The process's event-loop delay is
 * reported too: a receipt can only be timestamped when this process gets to it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, FormattedIntent, ServerToClientEvents } from '../../src/contract/socket.js';
import { latencySummary } from './kafka.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

interface StartMessage {
  readonly type: 'start';
  readonly url: string;
  readonly intents: readonly string[];
  readonly all: number;
}
type ParentMessage =
  | StartMessage
  | { readonly type: 'measure' }
  | { readonly type: 'report' }
  | { readonly type: 'finish'; readonly from: number };

/** `then`: once the message is handed to the IPC channel (a process that exits before loses it). */
const send = (m: unknown, then: () => void = () => undefined): void => {
  process.send?.(m, then);
};

const sockets: Client[] = [];
/** The receipts of one kind of payload: when each was produced, and where its latency went (see the header). */
class Samples {
  private readonly produced: number[] = [];
  private readonly server: number[] = [];
  private readonly delivery: number[] = [];

  add(p: { updatedAt: string | null; timestamp: number }, now: number): void {
    const produced = Date.parse(p.updatedAt ?? '');
    this.produced.push(produced);
    this.server.push(p.timestamp - produced);
    this.delivery.push(now - p.timestamp);
  }

  /** Latencies (total, server, delivery) of the payloads produced at or after `from`, and when each was produced. */
  since(from: number): { total: number[]; server: number[]; delivery: number[]; produced: number[] } {
    const out = { total: [] as number[], server: [] as number[], delivery: [] as number[], produced: [] as number[] };
    for (let i = 0; i < this.produced.length; i++) {
      if (this.produced[i]! < from) continue;
      out.produced.push(this.produced[i]!);
      out.total.push(this.server[i]! + this.delivery[i]!);
      out.server.push(this.server[i]!);
      out.delivery.push(this.delivery[i]!);
    }
    return out;
  }
}
const perIntentSamples = new Samples();
const allSamples = new Samples();
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
const counts = { perIntent: 0, allNew: 0, allStatusChanged: 0, snapshots: 0, wrongIntent: 0, disconnects: 0, errors: 0 };

function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const s: Client = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 20_000 });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => reject(err));
    s.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') counts.disconnects++;
    });
    s.on('error', () => counts.errors++);
  });
}

function ack(s: Client, what: string, emit: (cb: (a: Ack) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no ack within 30s`)), 30_000);
    emit((a) => {
      clearTimeout(timer);
      if (a.ok) resolve();
      else reject(new Error(`${what}: ${a.code} ${a.message}`));
    });
    void s;
  });
}

async function subscribeIntent(url: string, intentId: string): Promise<void> {
  const s = await connect(url);
  sockets.push(s);
  let subscribed = false;
  s.on('intent:status', (p: FormattedIntent) => {
    const now = Date.now();
    if (!subscribed) {
      counts.snapshots++;
      return;
    }
    if (p.intentId !== intentId) counts.wrongIntent++;
    perIntentSamples.add(p, now);
    counts.perIntent++;
  });
  await ack(s, `subscribe:intent ${intentId}`, (cb) => s.emit('subscribe:intent', intentId, cb));
  subscribed = true;
}

async function subscribeAll(url: string): Promise<void> {
  const s = await connect(url);
  sockets.push(s);
  s.on('intent:new', (p) => {
    allSamples.add(p, Date.now());
    counts.allNew++;
  });
  s.on('intent:status_changed', (p) => {
    allSamples.add(p, Date.now());
    counts.allStatusChanged++;
  });
  await ack(s, 'subscribe:all', (cb) => s.emit('subscribe:all', cb));
}

/** Runs `tasks` with at most `limit` pending at once. */
async function pool(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

async function start(m: StartMessage): Promise<void> {
  const t0 = performance.now();
  const tasks = [
    ...m.intents.map((id) => () => subscribeIntent(m.url, id)),
    ...Array.from({ length: m.all }, () => () => subscribeAll(m.url)),
  ];
  await pool(tasks, 50);
  loopDelay.enable();
  send({ type: 'ready', connectMs: Math.round(performance.now() - t0), sockets: sockets.length });
}

const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
let measuredFrom = { cpu: process.cpuUsage(), at: performance.now() };
/** CPU used since the measured traffic began (1 = one core) */
function cpuCores(): number {
  const d = process.cpuUsage(measuredFrom.cpu);
  return Math.round(((d.user + d.system) / 1000 / (performance.now() - measuredFrom.at)) * 100) / 100;
}

process.on('message', (raw) => {
  const m = raw as ParentMessage;
  switch (m.type) {
    case 'start':
      start(m).catch((err: unknown) => {
        send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      });
      break;
    case 'measure':
      loopDelay.reset();
      measuredFrom = { cpu: process.cpuUsage(), at: performance.now() };
      break;
    case 'report':
      send({ type: 'counts', ...counts });
      break;
    case 'finish': {
      const perIntent = perIntentSamples.since(m.from);
      const all = allSamples.since(m.from);
      // (the result is large at scale: exit only once it is handed over, or the parent never gets it)
      send(
        {
          type: 'result',
          counts,
          perIntent: latencySummary(perIntent.total),
          allRoom: latencySummary(all.total),
          perIntentRaw: perIntent,
          allRoomRaw: all,
          eventLoopDelayMs: { p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
          cpuCores: cpuCores(),
        },
        () => {
          for (const s of sockets) s.disconnect();
          setTimeout(() => process.exit(0), 200);
        },
      );
      break;
    }
    default: {
      const never: never = m;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
});
process.on('disconnect', () => process.exit(0));
