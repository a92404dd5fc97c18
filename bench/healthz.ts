/**
 * Benchmark (BENCHMARKS.md "Probes during the start-up replay"): how long `/healthz` and `/readyz`
 * take to answer while a `serve` process replays a large history (docs/socket-io.md "Limits": the
 * pipeline yields to the event loop every YIELD_AFTER_MS of a batch's work).
 *
 * - Produces `--events` generated events (bench/lib/dataset.ts) into two fresh topics.
 * - Spawns `serve` on them (`node --import tsx src/cli.ts serve`, no snapshot topic: a full replay).
 * - From the moment it listens until `/readyz` answers 200, every `--interval` ms (50) it sends
 *   `GET /healthz` and `GET /readyz`, each on a new connection (as an orchestrator's probe does),
 *   without waiting for earlier probes: a stalled event loop shows as probes that all take long.
 *   Each probe's time is from sending the request to the end of the response.
 * - Also the service's own longest event-loop delay over the replay (prom-client's
 *   `nodejs_eventloop_lag_max_seconds`, reset by each scrape: scraped when it listens and when it is
 *   ready): what the service blocks, apart from the machine's scheduling of both processes.
 * - Reports count, p50/p99/max per endpoint, how many took over 250 ms, and the goal
 *   (docs/contract.md: /healthz answers within 250 ms during the start-up replay): max ≤ 250 ms.
 *
 * Usage: npx tsx bench/healthz.ts [--events 500000] [--partitions 4] [--interval 50]
 * Broker: KAFKA_BROKERS, or a local jar broker started (and stopped) here. Topics are deleted at the end.
 */
import { request } from 'node:http';
import { runMain, spawnService } from './lib/service.js';
import { arg, dataset, summary } from './lib/dataset.js';
import {
  benchBroker,
  client,
  createTopics,
  fastProducer,
  latencySummary,
  log,
  produceFast,
  uniqueName,
  type LatencySummary,
  type Message,
} from './lib/kafka.js';

const events = arg('events', 500_000);
const partitions = arg('partitions', 4);
const intervalMs = arg('interval', 50);
const GOAL_MS = 250;

interface Probe {
  readonly status: number;
  readonly ms: number;
}

/** One GET on a fresh connection; resolves with its status (0: failed) and its time. */
function probe(port: number, path: string): Promise<Probe> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      res.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end();
  });
}

function report(probes: readonly Probe[]): LatencySummary & { over250: number; failed: number } {
  const ok = probes.filter((p) => p.status !== 0);
  const s = latencySummary(ok.map((p) => Math.round(p.ms * 10) / 10));
  return { ...s, over250: ok.filter((p) => p.ms > GOAL_MS).length, failed: probes.length - ok.length };
}

async function main(): Promise<void> {
  const broker = await benchBroker();
  const kafka = client(broker.brokers, 'bench-healthz');
  const base = uniqueName('bench-healthz');
  const topics = { lifecycle: `${base}-lifecycle`, proofs: `${base}-proofs`, dlq: `${base}-dlq` };
  const admin = kafka.admin();
  await admin.connect();
  const producer = fastProducer(kafka);
  try {
    await createTopics(admin, [topics.lifecycle, topics.proofs], partitions);
    await createTopics(admin, [topics.dlq], 1);
    await producer.connect();
    const ds = dataset(events, 4242);
    const toMessages = (xs: typeof ds.lifecycle): Message[] => xs.map((e) => ({ key: e.intentId, value: JSON.stringify(e) }));
    const t = performance.now();
    const produced = await produceFast(
      producer,
      new Map([
        [topics.lifecycle, toMessages(ds.lifecycle)],
        [topics.proofs, toMessages(ds.proofs)],
      ]),
      partitions,
    );
    log(`produced ${produced} records in ${((performance.now() - t) / 1000).toFixed(1)}s`);

    const child = spawnService({
      brokers: broker.brokers,
      topics,
      env: { KAFKA_TOPIC_SNAPSHOTS: `${base}-no-snapshots`, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      // the port, from its "listening on" log line
      const port = await new Promise<number>((resolve, reject) => {
        let buf = '';
        child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const l of lines) {
            try {
              const j = JSON.parse(l) as { msg?: string; url?: string };
              if (j.msg?.startsWith('listening on') && j.url !== undefined) resolve(Number(new URL(j.url).port));
            } catch {
              // not JSON
            }
          }
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening`)));
      });
      const loopMaxMs = async (): Promise<number> => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith('intent_projector_nodejs_eventloop_lag_max_seconds '));
        return line === undefined ? Number.NaN : Math.round(Number(line.split(' ')[1]) * 1000);
      };
      await loopMaxMs();
      const started = performance.now();
      const healthz: Promise<Probe>[] = [];
      const readyz: Promise<Probe>[] = [];
      let ready = false;
      while (!ready) {
        if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode} during the replay`);
        const r = probe(port, '/readyz');
        readyz.push(r);
        healthz.push(probe(port, '/healthz'));
        void r.then((p) => {
          if (p.status === 200) ready = true;
        });
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
      const replaySeconds = (performance.now() - started) / 1000;
      const serviceEventLoopMaxMs = await loopMaxMs();
      // only the probes sent while it was replaying count (the last /readyz is the one that said 200)
      const h = report(await Promise.all(healthz));
      const rz = report(await Promise.all(readyz));
      summary('healthz', {
        events: produced,
        partitions,
        intervalMs,
        replaySeconds: Number(replaySeconds.toFixed(2)),
        healthz: h,
        readyz: rz,
        serviceEventLoopMaxMs,
        goalMs: GOAL_MS,
        goalMet: h.failed === 0 && h.max <= GOAL_MS,
      });
      log(
        `during a ${replaySeconds.toFixed(1)}s replay of ${produced} records: /healthz p99 ${h.p99} ms, max ${h.max} ms over ${h.count} probes ` +
          `(goal <= ${GOAL_MS} ms: ${h.failed === 0 && h.max <= GOAL_MS ? 'met' : 'NOT met'}); /readyz p99 ${rz.p99} ms, max ${rz.max} ms; the service's longest event-loop delay ${serviceEventLoopMaxMs} ms`,
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topics.lifecycle, topics.proofs, topics.dlq] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await broker.stop();
  }
}

runMain(main);
