/**
 * Raw Engine.IO clients for tests that must control what a browser library would hide: request
 * headers (Origin, X-Forwarded-For), the HTTP status of a refused handshake, and a websocket that
 * stops reading. Built on node:http / node:net only.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** GET of an Engine.IO polling handshake (creates an engine connection when accepted). */
export function pollingHandshake(port: number, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return httpGet(port, '/socket.io/?EIO=4&transport=polling', headers);
}

export function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { connection: 'close', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export type UpgradeResult =
  | { readonly upgraded: true; readonly socket: Socket; readonly head: Buffer }
  | ({ readonly upgraded: false } & HttpAnswer);

/** A websocket handshake on the Engine.IO path: the upgraded socket, or the HTTP answer that refused it. */
export function websocketUpgrade(port: number, headers: Record<string, string> = {}): Promise<UpgradeResult> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/socket.io/?EIO=4&transport=websocket',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (_res, socket, head) => resolve({ upgraded: true, socket, head }));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ upgraded: false, status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One masked client text frame. */
export function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const len = payload.length;
  const header = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}

/** Splits unmasked server frames off `buffer`; returns the text frames, whether a close frame came, and the rest. */
export function readServerFrames(buffer: Buffer): { texts: string[]; close: boolean; rest: Buffer } {
  const texts: string[] = [];
  let close = false;
  let at = 0;
  while (buffer.length - at >= 2) {
    const opcode = buffer[at]! & 0x0f;
    let len = buffer[at + 1]! & 0x7f;
    let start = at + 2;
    if (len === 126) {
      if (buffer.length - at < 4) break;
      len = buffer.readUInt16BE(at + 2);
      start = at + 4;
    } else if (len === 127) {
      if (buffer.length - at < 10) break;
      len = Number(buffer.readBigUInt64BE(at + 2));
      start = at + 10;
    }
    if (buffer.length < start + len) break;
    if (opcode === 1) texts.push(buffer.subarray(start, start + len).toString('utf8'));
    if (opcode === 8) close = true;
    at = start + len;
  }
  return { texts, close, rest: buffer.subarray(at) };
}

/**
 * A Socket.IO client over a raw websocket: connects to the main namespace, sends events, and can
 * stop reading (`socket.pause()`), which a browser library cannot do.
 */
export class RawSocketIo {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiters: { match: (t: string) => boolean; resolve: (t: string) => void }[] = [];
  readonly received: string[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static async connect(port: number, headers: Record<string, string> = {}): Promise<RawSocketIo> {
    const r = await websocketUpgrade(port, headers);
    if (!r.upgraded) throw new Error(`websocket refused: ${r.status} ${r.body}`);
    const client = new RawSocketIo(r.socket);
    if (r.head.length > 0) client.onData(r.head);
    await client.next((t) => t.startsWith('0{'));
    client.send('40');
    await client.next((t) => t.startsWith('40'));
    return client;
  }

  send(text: string): void {
    this.socket.write(clientTextFrame(text));
  }

  /** Sends `42<id>[event,...args]` and resolves with the ack's JSON text. */
  async call(id: number, event: string, ...args: unknown[]): Promise<string> {
    const answer = this.next((t) => t.startsWith(`43${id}[`));
    this.send(`42${id}${JSON.stringify([event, ...args])}`);
    return (await answer).slice(`43${id}`.length);
  }

  next(match: (text: string) => boolean): Promise<string> {
    const seen = this.received.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Stops reading: the kernel buffers fill, then the server's. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Resolves when the server has closed the connection (reading again first, to see it). */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    const { texts, close, rest } = readServerFrames(Buffer.concat([this.buffer, d]));
    this.buffer = rest;
    // answer a close frame as a browser does (masked, empty), then end
    if (close && !this.socket.destroyed) this.socket.end(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
    for (const t of texts) {
      if (t === '2') this.send('3'); // engine.io ping → pong
      this.received.push(t);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i]!;
        if (w.match(t)) {
          this.waiters.splice(i, 1);
          w.resolve(t);
        }
      }
    }
  }
}
