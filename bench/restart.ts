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
 * Two history profiles (--profile growing|bounded|both, default both), reported apart:
 * - growing: every epoch adds other intents at the same hour of event time and only 5 % of the
 *   finished ones are removed (the simulator's default removalShare), so the live state grows
 *   with the history (factor× the events, factor× the intents and the snapshot);
 * - bounded: a protocol that garbage-collects finished intents: removalShare --removal-share
 *   (default 1), epoch k one hour of event time after epoch k-1, the last one cut at its hour's
 *   end (intents still in flight stay live), and TOMBSTONE_RETENTION_MS
 *   (--tombstone-retention-ms, default 30 minutes) shorter than the history's span, so tombstones
 *   are pruned. The service prunes after each batch once caught up (src/pipeline.ts), so after
 *   the replay node is ready one more record arrives (the removal of an intent the history never
 *   had: one tombstone) before its clean stop writes the snapshot. The state at both sizes is then
 *   about the same; the bench prints live intents (/stats), tombstones and snapshot bytes per size.
 *
 * Usage: npx tsx bench/restart.ts [--events 1000000] [--factor 5] [--partitions 4] [--runs 3]
 *          [--profile growing|bounded|both] [--removal-share 1] [--tombstone-retention-ms 1800000]
 *          [--compression none|lz4|zstd|snappy|gzip] [--keep-topics PREFIX] [--baseline DIR]
 * --keep-topics PREFIX: the input topics are named PREFIX-<events>-{lifecycle,proofs}, reused when
 * they already hold the history, and not deleted at the end (iterate without producing again).
 * --baseline DIR: another build of the service (a checkout with dist/ built and node_modules, e.g.
 * a git worktree of an older commit) restarts from its own snapshot beside each run of this one,
 * alternately, so the two are compared under the same load.
 * Broker: KAFKA_BROKERS, or a local jar broker started (and stopped) here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Admin, Kafka as KafkaClient } from 'kafkajs';
import { arg, DATASET_SPAN_MS, DATASET_START_MS, dataset, median, summary } from './lib/dataset.js';
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
const profileArg = opt('profile') ?? 'both';
if (!['growing', 'bounded', 'both'].includes(profileArg)) throw new Error(`--profile growing|bounded|both, not ${profileArg}`);
const removalShare = arg('removal-share', 1);
const tombstoneRetentionMs = arg('tombstone-retention-ms', 1_800_000);

type ProfileName = 'growing' | 'bounded';
const PROFILES: readonly ProfileName[] = profileArg === 'both' ? ['growing', 'bounded'] : [profileArg as ProfileName];
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
  readonly url: string;
  /** from the service's "snapshot … loaded" log line (null after a full replay) */
  readonly loaded: { readonly tombstones: number; readonly bytes: number } | null;
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
  let loaded: { tombstones: number; bytes: number } | null = null;
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
          tombstones?: number;
          bytes?: number;
        };
        if (j.msg?.includes(' loaded; reading') && j.tombstones !== undefined && j.bytes !== undefined) {
          loaded = { tombstones: j.tombstones, bytes: j.bytes };
        }
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
          url,
          loaded,
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
async function history(
  admin: Admin,
  brokers: string[],
  base: string,
  target: number,
  profile: ProfileName,
): Promise<{ lifecycle: string; proofs: string }> {
  const name = profile === 'growing' ? `${base}-${target}` : `${base}-bounded-${target}`;
  const topics = { lifecycle: `${name}-lifecycle`, proofs: `${name}-proofs` };
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
  const epochs = Math.ceil(target / events);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const startMs = DATASET_START_MS + epoch * DATASET_SPAN_MS;
    const ds =
      profile === 'growing'
        ? dataset(events, 1000 + epoch)
        : dataset(events, 1000 + epoch, { removalShare, startMs, ...(epoch === epochs - 1 ? { endMs: startMs + DATASET_SPAN_MS } : {}) });
    for (const [topic, xs] of [
      [topics.lifecycle, ds.lifecycle],
      [topics.proofs, ds.proofs],
    ] as const) {
      for (const e of xs) await bulk.send(topic, e.intentId, JSON.stringify(e));
    }
  }
  const sent = await bulk.done();
  log(`produced ${sent} records (${compression}) in ${((performance.now() - t) / 1000).toFixed(1)}s`);
  return topics;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** the sum of a counter's series in the service's /metrics */
async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop());
  return sum;
}

/**
 * One live record after catch-up (the service prunes tombstones after each live batch): the
 * removal of an intent the history never had, at the history's last hour. Waits until it was read.
 */
async function liveRecord(node: Started, kafka: KafkaClient, lifecycle: string, target: number): Promise<void> {
  const before = await counter(node.url, 'intent_projector_records_read_total');
  const producer = kafka.producer();
  await producer.connect();
  const intentId = `0x${randomBytes(32).toString('hex')}`;
  const occurredAt = new Date(DATASET_START_MS + Math.ceil(target / events) * DATASET_SPAN_MS).toISOString();
  const event = { eventId: randomUUID(), type: 'intent.removed', intentId, occurredAt, data: { reason: 'bench: one live record' } };
  await producer.send({ topic: lifecycle, messages: [{ key: intentId, value: JSON.stringify(event) }] });
  await producer.disconnect();
  for (let i = 0; (await counter(node.url, 'intent_projector_records_read_total')) <= before; i++) {
    if (i > 1200) throw new Error('the live record was not read within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  // the pruning runs at the end of that batch
  await new Promise((r) => setTimeout(r, 200));
}

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
  const profiles: Record<string, unknown> = {};
  try {
    for (const profile of PROFILES) {
      const sizes: Record<string, unknown>[] = [];
      for (const target of [events, events * factor]) {
        const input = await history(admin, broker.brokers, base, target, profile);
        if (keepTopics === undefined) created.push(input.lifecycle, input.proofs);
        const tag = `${profile}-${target}`;
        const own = { dlq: `${run}-${tag}-dlq`, snapshots: `${run}-${tag}-snapshots` };
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
          ...(profile === 'bounded' ? { TOMBSTONE_RETENTION_MS: String(tombstoneRetentionMs) } : {}),
        };
        // 1. full replay (the snapshot topic is empty); its clean stop writes the snapshot
        const replay = await startNode(env);
        log(
          `${tag} events, replay: ${replay.seconds.toFixed(2)}s ${JSON.stringify(replay.restore)} phases ${JSON.stringify(replay.phases)}`,
        );
        if (profile === 'bounded') await liveRecord(replay, kafka, input.lifecycle, target);
        await replay.stop();
        if (replay.restore.from !== 'replay') throw new Error(`expected a full replay, got ${JSON.stringify(replay.restore)}`);
        // the baseline build: its own snapshot topic (its format), kept with --keep-topics
        const baseEnv = {
          ...env,
          KAFKA_TOPIC_SNAPSHOTS: `${keepTopics ?? run}-${profile === 'growing' ? target : tag}-snapshots-baseline`,
        };
        let baselineReplay: Started | null = null;
        if (baseline !== undefined) {
          const held = await recordCounts(admin, [baseEnv.KAFKA_TOPIC_SNAPSHOTS]);
          if (held === null || [...held.values()][0] === 0 || keepTopics === undefined) {
            await createTopics(admin, [baseEnv.KAFKA_TOPIC_SNAPSHOTS], 1);
            baselineReplay = await startNode(baseEnv, baseline);
            log(`${tag} events, baseline replay: ${baselineReplay.seconds.toFixed(2)}s phases ${JSON.stringify(baselineReplay.phases)}`);
            if (profile === 'bounded') await liveRecord(baselineReplay, kafka, input.lifecycle, target);
            await baselineReplay.stop();
          }
          if (keepTopics === undefined) created.push(baseEnv.KAFKA_TOPIC_SNAPSHOTS);
        }
        // 2. restarts from that snapshot (this build and the baseline's alternately)
        const fromSnapshot: Started[] = [];
        const baselineRuns: Started[] = [];
        let liveIntents = 0;
        for (let i = 0; i < runs; i++) {
          for (const [which, out, e, root] of [
            ['snapshot', fromSnapshot, env, ROOT],
            ...(baseline === undefined ? [] : [['baseline snapshot', baselineRuns, baseEnv, baseline] as const]),
          ] as const) {
            const s = await startNode(e, root);
            if (out === fromSnapshot) liveIntents = ((await (await fetch(`${s.url}/stats`)).json()) as { total: number }).total;
            log(
              `${tag} events, ${which} run ${i + 1}: ${s.seconds.toFixed(2)}s ${JSON.stringify(s.restore)} phases ${JSON.stringify(s.phases)}`,
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
          liveIntents,
          tombstones: mid.loaded?.tombstones ?? null,
          snapshotBytes: mid.loaded?.bytes ?? null,
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
        log(JSON.stringify({ profile, ...size }));
        sizes.push(size);
      }
      const [small, large] = sizes as { snapshotSeconds: number; snapshotShare: number; replaySeconds: number }[];
      const scaling = round(large!.snapshotSeconds / small!.snapshotSeconds, 3);
      profiles[profile] = {
        sizes,
        snapshotScaling: scaling,
        largeSnapshotShare: large!.snapshotShare,
        goals: { scalingAtMost: 1.3, scalingMet: scaling <= 1.3, shareAtMost: 0.15, shareMet: large!.snapshotShare <= 0.15 },
      };
      log(`profile ${profile}: ${JSON.stringify({ ...(profiles[profile] as object), sizes: undefined })}`);
    }
  } finally {
    await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.disconnect();
    await broker.stop();
  }
  for (const [name, p] of Object.entries(profiles)) {
    const { sizes, snapshotScaling, goals } = p as {
      sizes: {
        events: number;
        liveIntents: number;
        tombstones: number | null;
        snapshotBytes: number | null;
        replaySeconds: number;
        snapshotSeconds: number;
        snapshotShare: number;
      }[];
      snapshotScaling: number;
      goals: { scalingMet: boolean; shareMet: boolean };
    };
    for (const z of sizes) {
      log(
        `${name} ${z.events} events: live ${z.liveIntents}, tombstones ${z.tombstones}, snapshot ${z.snapshotBytes} B; replay ${z.replaySeconds}s, snapshot ${z.snapshotSeconds}s, share ${z.snapshotShare}`,
      );
    }
    log(
      `${name}: ${factor}x history -> ${snapshotScaling}x snapshot restart (goal <= 1.3: ${goals.scalingMet ? 'met' : 'not met'}); large share goal <= 0.15: ${goals.shareMet ? 'met' : 'not met'}`,
    );
  }
  summary('restart', { factor, compression, removalShare, tombstoneRetentionMs, profiles });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
