/**
 * Benchmark: restart time (BENCHMARKS.md "Restart"). Time from spawning a `serve` process to its
 * /readyz answering 200, after a clean stop, at two history sizes (--events, and --factor times
 * that): by full replay (a snapshot topic that does not exist) and from a snapshot (the topic
 * holding the snapshot the previous, cleanly stopped node wrote). The history grows in epochs of
 * --events generated events each (bench/lib/dataset.ts, another seed per epoch: other intents),
 * produced with the fast batch producer.
 *
 * Goals (docs/snapshots.md): with a snapshot, factor× the history costs ≤ 1.3× the restart time,
 * and at the larger size the restart takes ≤ 15 % of the full replay's.
 *
 * Usage: npx tsx bench/restart.ts [--events 1000000] [--factor 5] [--partitions 4]
 * Broker: KAFKA_BROKERS, or a local jar broker started (and stopped) here. Topics are deleted at the end.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { arg, dataset, summary } from './lib/dataset.js';
import { benchBroker, client, createTopics, fastProducer, log, produceFast, uniqueName, type Message } from './lib/kafka.js';

const events = arg('events', 1_000_000);
const factor = arg('factor', 5);
const partitions = arg('partitions', 4);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Started {
  readonly seconds: number;
  readonly restore: { from: string; intents: number; recordsReplayed: number; seconds: number };
  stop(): Promise<void>;
}

/** Spawns `serve` and waits for /readyz 200; `seconds` from spawn to ready. */
async function startNode(env: Record<string, string>): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let url: string | null = null;
  let buf = '';
  const lines: string[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      try {
        const j = JSON.parse(l) as { msg?: string; url?: string; level?: number };
        if (j.msg?.startsWith('listening on') && j.url !== undefined) url = j.url;
        if ((j.level ?? 0) >= 40) log(`node: ${l.slice(0, 300)}`);
      } catch {
        // not JSON
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${lines.slice(-5).join('\n')}`);
    if (url !== null) {
      const r = await fetch(`${url}/readyz`).catch(() => null);
      if (r?.status === 200) {
        const seconds = (performance.now() - t0) / 1000;
        const body = (await r.json()) as { restore: Started['restore'] };
        return {
          seconds,
          restore: body.restore,
          stop: async () => {
            child.kill('SIGTERM');
            const code = await exited;
            if (code !== 0) throw new Error(`serve stopped with exit code ${code}`);
          },
        };
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function main(): Promise<void> {
  const broker = await benchBroker();
  const kafka = client(broker.brokers, 'bench-restart');
  const base = uniqueName('bench-restart');
  const topics = { lifecycle: `${base}-lifecycle`, proofs: `${base}-proofs`, dlq: `${base}-dlq`, snapshots: `${base}-snapshots` };
  const admin = kafka.admin();
  await admin.connect();
  await createTopics(admin, [topics.lifecycle, topics.proofs], partitions);
  await createTopics(admin, [topics.dlq, topics.snapshots], 1);
  const env = {
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_TOPIC_LIFECYCLE: topics.lifecycle,
    KAFKA_TOPIC_PROOFS: topics.proofs,
    KAFKA_TOPIC_DLQ: topics.dlq,
    SNAPSHOT_INTERVAL_MS: '3600000',
    // a clean stop writes the last snapshot; on a loaded machine that can take longer than the default 10 s
    SHUTDOWN_TIMEOUT_MS: '300000',
  };
  const producer = fastProducer(kafka);
  await producer.connect();
  let produced = 0;
  let epoch = 0;
  const sizes: Record<string, unknown>[] = [];
  try {
    for (const target of [events, events * factor]) {
      while (produced < target) {
        const ds = dataset(events, 1000 + epoch++);
        const toMessages = (xs: typeof ds.lifecycle): Message[] => xs.map((e) => ({ key: e.intentId, value: JSON.stringify(e) }));
        const t = performance.now();
        const n = await produceFast(
          producer,
          new Map([
            [topics.lifecycle, toMessages(ds.lifecycle)],
            [topics.proofs, toMessages(ds.proofs)],
          ]),
          partitions,
        );
        produced += n;
        log(`epoch ${epoch}: produced ${n} records in ${((performance.now() - t) / 1000).toFixed(1)}s (total ${produced})`);
      }
      // a node that writes the snapshot (untimed): restore or replay, caught up, clean stop
      const writer = await startNode({ ...env, KAFKA_TOPIC_SNAPSHOTS: topics.snapshots });
      await writer.stop();
      const replay = await startNode({ ...env, KAFKA_TOPIC_SNAPSHOTS: `${base}-no-snapshots` });
      await replay.stop();
      const fromSnapshot = await startNode({ ...env, KAFKA_TOPIC_SNAPSHOTS: topics.snapshots });
      await fromSnapshot.stop();
      if (fromSnapshot.restore.from !== 'snapshot')
        throw new Error(`expected a restore from the snapshot, got ${JSON.stringify(fromSnapshot.restore)}`);
      if (fromSnapshot.restore.intents !== replay.restore.intents) throw new Error('snapshot and replay disagree on the intents');
      const size = {
        events: produced,
        intents: replay.restore.intents,
        replaySeconds: Number(replay.seconds.toFixed(2)),
        snapshotSeconds: Number(fromSnapshot.seconds.toFixed(2)),
        snapshotShare: Number((fromSnapshot.seconds / replay.seconds).toFixed(3)),
        replayRestore: replay.restore,
        snapshotRestore: fromSnapshot.restore,
      };
      log(JSON.stringify(size));
      sizes.push(size);
    }
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await broker.stop();
  }
  const [small, large] = sizes as { snapshotSeconds: number; snapshotShare: number }[];
  const scaling = Number((large!.snapshotSeconds / small!.snapshotSeconds).toFixed(3));
  summary('restart', {
    sizes,
    factor,
    snapshotScaling: scaling,
    largeSnapshotShare: large!.snapshotShare,
    goals: { scalingAtMost: 1.3, scalingMet: scaling <= 1.3, shareAtMost: 0.15, shareMet: large!.snapshotShare <= 0.15 },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
