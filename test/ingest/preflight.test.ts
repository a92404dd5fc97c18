/**
 * The broker preflight (src/ingest/preflight.ts) against listeners that are not a working broker,
 * counted on the listener's side rather than timed: a wrong address gives one error after a
 * couple of attempts, not kafkajs's retry storm, and a listener that never answers is given up at
 * the preflight's own bound with "timed out".
 */
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { preflight } from '../../src/ingest/preflight.js';
import { BrokerUnreachableError } from '../../src/errors.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A TCP listener on a free port that counts connections and does `onSocket` with each. */
async function listener(onSocket: (s: net.Socket) => void): Promise<{ address: string; connections: () => number }> {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.on('error', () => undefined);
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { address: `127.0.0.1:${port}`, connections: () => connections };
}

describe('broker preflight', () => {
  it('a listener that closes every connection: one clear error after at most a few attempts', async () => {
    const l = await listener((s) => s.destroy());
    const err = await preflight({ brokers: [l.address] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BrokerUnreachableError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot reach Kafka at ${l.address} \\(KAFKA_BROKERS\\): `));
    expect((err as Error).message).not.toContain('\n');
    // kafkajs's default retry (5 retries, up to 30 s apart) would connect 6 times or more
    expect(l.connections()).toBeGreaterThanOrEqual(1);
    expect(l.connections()).toBeLessThanOrEqual(3);
  });

  it('a listener that never answers: given up at the bound, "timed out"', async () => {
    const held: net.Socket[] = [];
    const l = await listener((s) => held.push(s));
    const err = await preflight({ brokers: [l.address], timeoutMs: 1500 }).then(
      () => null,
      (e: unknown) => e,
    );
    for (const s of held) s.destroy();
    expect(err).toBeInstanceOf(BrokerUnreachableError);
    expect((err as Error).message).toBe(`cannot reach Kafka at ${l.address} (KAFKA_BROKERS): timed out`);
  }, 30_000);
});
