/**
 * Benchmark: restart time (BENCHMARKS.md "Restart"). Time from spawning a `serve` process to its
 * /readyz answering 200, after a clean stop, at two history sizes (--events, and --factor times
 * that): by full replay and from a snapshot. The service runs as in production
 * (`node dist/cli.js serve` after `npm run build`, as `npm start` and the Dockerfile do), not
 * through tsx.
 *
 * Per size: input topics holding the history (bench/lib/dataset.ts, one seed per epoch of
 * --events events: other intents each epoch), produced with the Kafka Java client
 * (bench/lib/java-bulk.ts); a fresh, empty snapshot topic. Then:
 *   1. replay: a node starts, finds no snapshot, folds everything, is ready; its clean stop
 *      writes the snapshot (what a first deploy with snapshots does);
 *   2. snapshot: --runs nodes one after the other, each starting from that snapshot (median).
 * Each start prints its phases (src/phases.ts: ms since the process started, from the service's
 * restore log line), so the figures show where the time goes.
 *
 * Goals (docs/snapshots.md): with a snapshot, factor× the history costs ≤ 1.3× the restart time,
 * and at the larger size the snapshot restart takes ≤ 15 % of the full replay's.
 *
 * Usage: npx tsx bench/restart.ts [--events 1000000] [--factor 5] [--partitions 4] [--runs 3]
 *          [--compression none|lz4|zstd|snappy|gzip] [--keep-topics PREFIX] [--baseline DIR]
 * --keep-topics PREFIX: the input topics are named PREFIX-<events>-{lifecycle,proofs}, reused when
 * they already hold the history, and not deleted at the end (iterate without producing again).
 * --baseline DIR: another build of the service (a checkout with dist/ built and node_modules, e.g.
 * a git worktree of an older commit) restarts from its own snapshot beside each run of this one,
 * alternately, so the two are compared under the same load.
 * Broker: KAFKA_BROKERS, or a local jar broker started (and stopped) here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { arg, dataset, median, summary } from './lib/dataset.js';
import { javaBulkProducer } from './lib/java-bulk.js';
import { benchBroker, client, createTopics, log, recordCounts, uniqueName } from './lib/kafka.js';

const events = arg('events', 1_000_000);
const factor = arg('factor', 5);
const partitions = arg('partitions', 4);
const runs = arg('runs', 3);
const opt = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
};
const compression = (opt('compression') ?? 'none') as 'none' | 'lz4' | 'zstd' | 'snappy' | 'gzip';
const keepTopics = opt('keep-topics');
/** another build of the service (a checkout with dist/ built and node_modules), measured beside this one */
const baseline = opt('baseline');
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Restore {
  readonly from: string;
  readonly intents: number;
  readonly recordsReplayed: number;
  readonly seconds: number;
}

interface Started {
  /** spawn → /readyz 200 */
  readonly seconds: number;
  readonly restore: Restore;
  /** spawn → the process's time origin, then the service's phases (ms since that origin) */
  readonly phases: Record<string, number>;
  stop(): Promise<void>;
}

/** Spawns `node dist/cli.js serve` and waits for /readyz 200; `seconds` from spawn to ready. */
async function startNode(env: Record<string, string>, root = ROOT): Promise<Started> {
  const spawnedAt = Date.now();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['dist/cli.js', 'serve'], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', NO_COLOR: '1', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let url: string | null = null;
  let buf = '';
  const lines: string[] = [];
  let phases: Record<string, number> | null = null;
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      try {
        const j = JSON.parse(l) as {
          msg?: string;
          url?: string;
          level?: number;
          phasesMs?: Record<string, number>;
          processStartedAt?: number;
        };
        if (j.msg?.startsWith('listening on') && j.url !== undefined) url = j.url;
        if (j.phasesMs !== undefined && j.processStartedAt !== undefined) {
          phases = { processStart: j.processStartedAt - spawnedAt, ...j.phasesMs };
        }
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
        const body = (await r.json()) as { restore: Restore };
        // the restore line is logged before /readyz turns 200; give the pipe a moment to deliver it
        for (let i = 0; phases === null && i < 40; i++) await new Promise((res) => setTimeout(res, 25));
        return {
          seconds,
          restore: body.restore,
          phases: phases ?? {},
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

/** Input topics holding `target` events (epochs of `events` each); reused when kept and full. */
async function history(admin: Admin, brokers: string[], base: string, target: number): Promise<{ lifecycle: string; proofs: string }> {
  const topics = { lifecycle: `${base}-${target}-lifecycle`, proofs: `${base}-${target}-proofs` };
  const counts = await recordCounts(admin, [topics.lifecycle, topics.proofs]);
  const held = counts === null ? 0 : [...counts.values()].reduce((a, b) => a + b, 0);
  if (keepTopics !== undefined && held >= target) {
    log(`reusing ${topics.lifecycle}, ${topics.proofs}: ${held} records`);
    return topics;
  }
  if (held > 0) await admin.deleteTopics({ topics: [topics.lifecycle, topics.proofs] });
  await createTopics(admin, [topics.lifecycle, topics.proofs], partitions);
  const t = performance.now();
  const bulk = javaBulkProducer(brokers, compression);
  let made = 0;
  for (let epoch = 0; made < target; epoch++) {
    const ds = dataset(events, 1000 + epoch);
    for (const [topic, xs] of [
      [topics.lifecycle, ds.lifecycle],
      [topics.proofs, ds.proofs],
    ] as const) {
      for (const e of xs) await bulk.send(topic, e.intentId, JSON.stringify(e));
      made += xs.length;
    }
  }
  const sent = await bulk.done();
  log(`produced ${sent} records (${compression}) in ${((performance.now() - t) / 1000).toFixed(1)}s`);
  return topics;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

async function main(): Promise<void> {
  log('building (npm run build) ...');
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const broker = await benchBroker();
  const kafka = client(broker.brokers, 'bench-restart');
  const base = keepTopics ?? uniqueName('bench-restart');
  const run = uniqueName('bench-restart');
  const admin = kafka.admin();
  await admin.connect();
  const created: string[] = [];
  const sizes: Record<string, unknown>[] = [];
  try {
    for (const target of [events, events * factor]) {
      const input = await history(admin, broker.brokers, base, target);
      if (keepTopics === undefined) created.push(input.lifecycle, input.proofs);
      const own = { dlq: `${run}-${target}-dlq`, snapshots: `${run}-${target}-snapshots` };
      created.push(own.dlq, own.snapshots);
      await createTopics(admin, [own.dlq, own.snapshots], 1);
      const env = {
        KAFKA_BROKERS: broker.brokers.join(','),
        KAFKA_TOPIC_LIFECYCLE: input.lifecycle,
        KAFKA_TOPIC_PROOFS: input.proofs,
        KAFKA_TOPIC_DLQ: own.dlq,
        KAFKA_TOPIC_SNAPSHOTS: own.snapshots,
        SNAPSHOT_INTERVAL_MS: '3600000',
        // a clean stop writes the last snapshot; on a loaded machine that can take longer than the default 10 s
        SHUTDOWN_TIMEOUT_MS: '300000',
      };
      // 1. full replay (the snapshot topic is empty); its clean stop writes the snapshot
      const replay = await startNode(env);
      log(
        `${target} events, replay: ${replay.seconds.toFixed(2)}s ${JSON.stringify(replay.restore)} phases ${JSON.stringify(replay.phases)}`,
      );
      await replay.stop();
      if (replay.restore.from !== 'replay') throw new Error(`expected a full replay, got ${JSON.stringify(replay.restore)}`);
      // the baseline build: its own snapshot topic (its format), kept with --keep-topics
      const baseEnv = { ...env, KAFKA_TOPIC_SNAPSHOTS: `${keepTopics ?? run}-${target}-snapshots-baseline` };
      let baselineReplay: Started | null = null;
      if (baseline !== undefined) {
        const held = await recordCounts(admin, [baseEnv.KAFKA_TOPIC_SNAPSHOTS]);
        if (held === null || [...held.values()][0] === 0 || keepTopics === undefined) {
          await createTopics(admin, [baseEnv.KAFKA_TOPIC_SNAPSHOTS], 1);
          baselineReplay = await startNode(baseEnv, baseline);
          log(`${target} events, baseline replay: ${baselineReplay.seconds.toFixed(2)}s phases ${JSON.stringify(baselineReplay.phases)}`);
          await baselineReplay.stop();
        }
        if (keepTopics === undefined) created.push(baseEnv.KAFKA_TOPIC_SNAPSHOTS);
      }
      // 2. restarts from that snapshot (this build and the baseline's alternately)
      const fromSnapshot: Started[] = [];
      const baselineRuns: Started[] = [];
      for (let i = 0; i < runs; i++) {
        for (const [which, out, e, root] of [
          ['snapshot', fromSnapshot, env, ROOT],
          ...(baseline === undefined ? [] : [['baseline snapshot', baselineRuns, baseEnv, baseline] as const]),
        ] as const) {
          const s = await startNode(e, root);
          log(
            `${target} events, ${which} run ${i + 1}: ${s.seconds.toFixed(2)}s ${JSON.stringify(s.restore)} phases ${JSON.stringify(s.phases)}`,
          );
          await s.stop();
          if (s.restore.from !== 'snapshot') throw new Error(`expected a restore from the snapshot, got ${JSON.stringify(s.restore)}`);
          if (s.restore.intents !== replay.restore.intents) throw new Error('snapshot and replay disagree on the intents');
          out.push(s);
        }
      }
      const snapshotSeconds = median(fromSnapshot.map((s) => s.seconds));
      const mid = [...fromSnapshot].sort((a, b) => a.seconds - b.seconds)[Math.floor(fromSnapshot.length / 2)]!;
      const size = {
        events: target,
        intents: replay.restore.intents,
        replaySeconds: round(replay.seconds),
        snapshotSeconds: round(snapshotSeconds),
        snapshotRuns: fromSnapshot.map((s) => round(s.seconds)),
        snapshotShare: round(snapshotSeconds / replay.seconds, 3),
        replayPhasesMs: replay.phases,
        snapshotPhasesMs: mid.phases,
        ...(baseline === undefined
          ? {}
          : {
              baselineSnapshotSeconds: round(median(baselineRuns.map((b) => b.seconds))),
              baselineSnapshotRuns: baselineRuns.map((b) => round(b.seconds)),
              ...(baselineReplay === null ? {} : { baselineReplaySeconds: round(baselineReplay.seconds) }),
              baselinePhasesMs: [...baselineRuns].sort((a, b) => a.seconds - b.seconds)[Math.floor(baselineRuns.length / 2)]!.phases,
            }),
      };
      log(JSON.stringify(size));
      sizes.push(size);
    }
  } finally {
    await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.disconnect();
    await broker.stop();
  }
  const [small, large] = sizes as { snapshotSeconds: number; snapshotShare: number }[];
  const scaling = round(large!.snapshotSeconds / small!.snapshotSeconds, 3);
  summary('restart', {
    sizes,
    factor,
    compression,
    snapshotScaling: scaling,
    largeSnapshotShare: large!.snapshotShare,
    goals: { scalingAtMost: 1.3, scalingMet: scaling <= 1.3, shareAtMost: 0.15, shareMet: large!.snapshotShare <= 0.15 },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
