/**
 * Connection caps, origins and slow HTTP (docs/socket-io.md, "Limits"), seen as a client sees
 * them: the HTTP status and JSON body of a refused handshake, on polling and on websocket.
 */
import { connect as netConnect } from 'node:net';
import { readdirSync } from 'node:fs';
import { io as ioClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { handshakeRefusalSchema } from '../../src/contract/socket.js';
import { type HttpAnswer, httpGet, pollingHandshake, type UpgradeResult, websocketUpgrade } from '../support/raw-engine.js';
import { startHarness, type Harness } from '../support/transport-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function refusedCount(harness: Harness, reason: string): Promise<number> {
  const m = await harness.metrics.connectionsRefused.get();
  return m.values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

function refusal(body: string) {
  return handshakeRefusalSchema.parse(JSON.parse(body));
}

describe('connection caps', () => {
  it('over MAX_CONNECTIONS_PER_IP a handshake gets 429 TOO_MANY_CONNECTIONS (polling, websocket); X-Forwarded-For needs TRUST_PROXY', async () => {
    h = await startHarness({ live: true, env: { MAX_CONNECTIONS_PER_IP: '2' } });
    expect((await pollingHandshake(h.port)).status).toBe(200);
    expect((await pollingHandshake(h.port, { 'x-forwarded-for': '203.0.113.1' })).status).toBe(200);

    const polling = await pollingHandshake(h.port, { 'x-forwarded-for': '203.0.113.2' });
    expect(polling.status).toBe(429);
    expect(refusal(polling.body)).toMatchObject({ code: 'TOO_MANY_CONNECTIONS', limit: 'per_ip' });

    const ws = await websocketUpgrade(h.port);
    expect(ws.upgraded).toBe(false);
    if (!ws.upgraded) {
      expect(ws.status).toBe(429);
      expect(refusal(ws.body).limit).toBe('per_ip');
    }
    // the socket.io client sees a connect_error
    const client = ioClient(h.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve) => client.once('connect_error', () => resolve()));
    client.close();
    expect(await refusedCount(h, 'per_ip')).toBe(3);
    // other requests on the same address still work
    expect((await httpGet(h.port, '/healthz')).status).toBe(200);
  });

  /** An engine.io middleware after the caps that answers later (a session lookup, say). */
  const answerLater = (harness: Harness, ms: number): void => {
    harness.transport.io.engine.use((_req: unknown, _res: unknown, next: () => void) => setTimeout(next, ms));
  };
  const accepted = (r: UpgradeResult | HttpAnswer): boolean => ('upgraded' in r ? r.upgraded : r.status === 200);

  it('handshakes arriving together never exceed MAX_CONNECTIONS_PER_IP, whatever runs between admission and the connection', async () => {
    h = await startHarness({ live: true, env: { MAX_CONNECTIONS_PER_IP: '5' } });
    answerLater(h, 50);
    const answers = await Promise.all([
      ...Array.from({ length: 40 }, () => websocketUpgrade(h!.port)),
      ...Array.from({ length: 40 }, () => pollingHandshake(h!.port)),
    ]);
    const refused = answers.filter((r) => !accepted(r));
    expect(answers.filter(accepted)).toHaveLength(5);
    expect(h.transport.io.engine.clientsCount).toBe(5);
    for (const r of refused) expect(('upgraded' in r && r.upgraded) || r.status).toBe(429);
    expect(await refusedCount(h, 'per_ip')).toBe(75);
    for (const r of answers) if ('upgraded' in r && r.upgraded) r.socket.destroy();
  });

  it('a handshake refused after admission (origin) gives its reserved count back', async () => {
    h = await startHarness({ live: true, env: { MAX_CONNECTIONS_PER_IP: '3', CORS_ORIGINS: 'https://app.example' } });
    answerLater(h, 50);
    const evil = { origin: 'https://evil.example' };
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => websocketUpgrade(h!.port, evil)),
      ...Array.from({ length: 10 }, () => pollingHandshake(h!.port, evil)),
    ]);
    expect(answers.filter(accepted)).toHaveLength(0);
    // 3 were admitted and then refused by the origin check; their counts come back once their
    // responses ended: 3 handshakes from the right origin get in, the fourth does not
    const good = { origin: 'https://app.example' };
    let got = 0;
    while (got < 3) {
      const r = await pollingHandshake(h.port, good);
      if (r.status === 200) got++;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await pollingHandshake(h.port, good)).status).toBe(429);
    expect(h.transport.io.engine.clientsCount).toBe(3);
  });

  it('with TRUST_PROXY the X-Forwarded-For client is the address that counts', async () => {
    h = await startHarness({ live: true, env: { MAX_CONNECTIONS_PER_IP: '2', TRUST_PROXY: 'true' } });
    const a = { 'x-forwarded-for': '203.0.113.7' };
    // a spoofed first entry does not change the address the proxy saw (the last one)
    const aSpoofed = { 'x-forwarded-for': '198.51.100.99, 203.0.113.7' };
    const b = { 'x-forwarded-for': '203.0.113.8' };
    expect((await pollingHandshake(h.port, a)).status).toBe(200);
    expect((await pollingHandshake(h.port, aSpoofed)).status).toBe(200);
    const third = await pollingHandshake(h.port, a);
    expect(third.status).toBe(429);
    expect(refusal(third.body).limit).toBe('per_ip');
    const ws = await websocketUpgrade(h.port, a);
    expect(ws.upgraded ? 101 : ws.status).toBe(429);
    expect((await pollingHandshake(h.port, b)).status).toBe(200);
    const wsB = await websocketUpgrade(h.port, b);
    expect(wsB.upgraded).toBe(true);
    if (wsB.upgraded) wsB.socket.destroy();
  });

  it('refuses a handshake over MAX_CONNECTIONS with 503, and accepts again once a connection closed', async () => {
    h = await startHarness({ live: true, env: { MAX_CONNECTIONS: '2' } });
    const first = await h.connect('websocket');
    await h.connect('polling');
    const refused = await pollingHandshake(h.port);
    expect(refused.status).toBe(503);
    expect(refusal(refused.body)).toMatchObject({ code: 'TOO_MANY_CONNECTIONS', limit: 'total' });
    const ws = await websocketUpgrade(h.port);
    expect(ws.upgraded ? 101 : ws.status).toBe(503);
    expect(await refusedCount(h, 'total')).toBe(2);

    first.disconnect();
    const engine = h.transport.io.engine;
    await until(() => engine.clientsCount < 2);
    expect((await pollingHandshake(h.port)).status).toBe(200);
  });

  it('near the file-descriptor limit, handshakes and then new TCP connections are refused with 503 (never accepted silently)', async () => {
    const open = (): number => readdirSync('/proc/self/fd').length;
    // room for a few more descriptors than are open now
    h = await startHarness({ live: true, env: { FD_HEADROOM: '20' }, fdLimit: open() + 30 });
    const answers: number[] = [];
    let handshakeRefused: { status: number; body: string } | null = null;
    let rawRefused: string | null = null;
    const sockets: import('node:net').Socket[] = [];
    for (let i = 0; i < 60 && rawRefused === null; i++) {
      if (handshakeRefused === null) {
        const hs = await pollingHandshake(h.port);
        if (hs.status !== 200) handshakeRefused = hs;
      }
      // a held TCP connection, asking for /healthz
      const port = h.port;
      const answer = await new Promise<string>((resolve) => {
        const s = netConnect(port, '127.0.0.1', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
        sockets.push(s);
        s.setEncoding('utf8');
        s.once('data', (d: string) => resolve(d));
        s.once('error', () => resolve(''));
      });
      answers.push(Number(answer.split(' ')[1]));
      if (answer.startsWith('HTTP/1.1 503')) rawRefused = answer;
    }
    for (const s of sockets) s.destroy();
    expect(handshakeRefused?.status).toBe(503);
    expect(refusal(handshakeRefused!.body).limit).toBe('fd_limit');
    expect(rawRefused).not.toBeNull();
    expect(refusal(rawRefused!.slice(rawRefused!.indexOf('\r\n\r\n') + 4)).limit).toBe('fd_limit');
    expect(answers[0]).toBe(200);
    expect(await refusedCount(h, 'fd_limit')).toBeGreaterThanOrEqual(2);
  });
});

describe('origins', () => {
  it('with CORS_ORIGINS set, polling and websocket handshakes from another origin are refused', async () => {
    h = await startHarness({ live: true, env: { CORS_ORIGINS: 'https://app.example' } });
    const evil = { origin: 'https://evil.example' };
    const polling = await pollingHandshake(h.port, evil);
    expect(polling.status).toBe(403);
    const ws = await websocketUpgrade(h.port, evil);
    expect(ws.upgraded).toBe(false);
    expect(await refusedCount(h, 'origin')).toBe(2);

    const good = { origin: 'https://app.example' };
    expect((await pollingHandshake(h.port, good)).status).toBe(200);
    const wsGood = await websocketUpgrade(h.port, good);
    expect(wsGood.upgraded).toBe(true);
    if (wsGood.upgraded) wsGood.socket.destroy();
    // no Origin header: same-origin page or non-browser client
    expect((await pollingHandshake(h.port)).status).toBe(200);
  });
});

describe('slow HTTP', () => {
  function slowRequest(port: number, text: string): Promise<{ answer: string; closed: boolean }> {
    return new Promise((resolve) => {
      let answer = '';
      const s = netConnect(port, '127.0.0.1', () => s.write(text));
      s.setEncoding('utf8');
      s.on('data', (d: string) => (answer += d));
      s.on('error', () => undefined);
      s.on('close', () => resolve({ answer, closed: true }));
    });
  }

  it('a request whose headers never end is answered 408 and closed after HTTP_HEADERS_TIMEOUT_MS', async () => {
    h = await startHarness({ live: true, env: { HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600' } });
    const r = await slowRequest(h.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n');
    expect(r.answer.startsWith('HTTP/1.1 408')).toBe(true);
    expect((await h.metrics.httpTimeouts.get()).values[0]?.value).toBe(1);
  });

  it('a polling POST whose body never completes is cut after HTTP_REQUEST_TIMEOUT_MS', async () => {
    h = await startHarness({ live: true, env: { HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600' } });
    const hs = await pollingHandshake(h.port);
    const sid = (JSON.parse(hs.body.slice(1)) as { sid: string }).sid;
    const r = await slowRequest(
      h.port,
      `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n40`,
    );
    expect(r.answer.startsWith('HTTP/1.1 408')).toBe(true);
    expect((await h.metrics.httpTimeouts.get()).values[0]?.value).toBe(1);
  });
});
