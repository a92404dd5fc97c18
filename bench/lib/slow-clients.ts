/**
 * Child process of bench/slow-consumers.ts (forked with IPC, `--import tsx`).
 *
 *   parent → { type: 'start', url, port, healthy: boolean, stalled: number }
 *     healthy: one socket.io-client websocket in the all-intents room, recording latency
 *     (receipt Date.now() − payload.timestamp, the server's emission time) of every broadcast;
 *     stalled: `stalled` raw websockets that send `subscribe:all` and then stop reading.
 *     Answers { type: 'ready' }.
 *   parent → { type: 'finish' }  answers { type: 'result', latency, received, disconnects } and exits
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/contract/socket.js';
import { RawSocketIo } from '../../test/support/raw-engine.js';
import { latencySummary } from './kafka.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
type Msg = { type: 'start'; url: string; port: number; healthy: boolean; stalled: number } | { type: 'finish' };

const lat: number[] = [];
let received = 0;
let disconnects = 0;
const raws: RawSocketIo[] = [];
let healthy: Client | null = null;

async function start(m: Extract<Msg, { type: 'start' }>): Promise<void> {
  if (m.healthy) {
    const s: Client = io(m.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    s.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') disconnects++;
    });
    const onEvent = (p: { timestamp: number }): void => {
      lat.push(Date.now() - p.timestamp);
      received++;
    };
    s.on('intent:new', onEvent);
    s.on('intent:status_changed', onEvent);
    s.on('intent:proof_changed', onEvent);
    await new Promise<void>((resolve) => s.emit('subscribe:all', () => resolve()));
    healthy = s;
  }
  for (let i = 0; i < m.stalled; i++) {
    const r = await RawSocketIo.connect(m.port);
    await r.call(1, 'subscribe:all');
    r.stopReading();
    raws.push(r);
  }
}

process.on('message', (m: Msg) => {
  if (m.type === 'start') {
    start(m).then(
      () => process.send?.({ type: 'ready' }),
      (err: unknown) => process.send?.({ type: 'failed', error: String(err) }),
    );
  } else {
    healthy?.close();
    for (const r of raws) r.destroy();
    process.send?.({ type: 'result', latency: latencySummary(lat), received, disconnects }, () => process.exit(0));
  }
});
