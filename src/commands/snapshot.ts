/**
 * `intent-projector snapshot`: build the state from the topics the way a starting node does (the
 * newest usable snapshot and what follows it, or everything with --from-scratch), write it as a
 * new snapshot, and exit. `snapshot --list` shows what the snapshot topic holds.
 */
import { type Config, inputTopics, loadConfig } from '../config.js';
import { createKafka } from '../ingest/kafka-client.js';
import { brokersOf } from '../ingest/kafka-ingestion.js';
import { KafkaSource, kafkaSourceOptionsFromConfig } from '../ingest/kafka-source.js';
import { preflight } from '../ingest/preflight.js';
import { createLogger, type Logger } from '../log.js';
import { snapshotContents } from '../snapshot/contents.js';
import type { PartitionPosition } from '../snapshot/envelope.js';
import { scanSnapshots } from '../snapshot/loader.js';
import { planRestore } from '../snapshot/restore.js';
import { SnapshotWriter } from '../snapshot/writer.js';
import { UsageError } from '../errors.js';
import { configFlags, configHelp, KAFKA_VARS, parseCommand, type Command } from './common.js';
import { replaySource } from './replay.js';

const FLAGS = configFlags([...KAFKA_VARS, 'KAFKA_TOPIC_SNAPSHOTS', 'TOMBSTONE_RETENTION_MS']);

export interface ListedSnapshot {
  readonly id: string;
  readonly offset: string;
  readonly createdAt: string | null;
  readonly complete: boolean;
  readonly format: number | null;
  readonly reducer: number | null;
  readonly intents: number | null;
  readonly tombstones: number | null;
  readonly bytes: number;
  readonly chunks: number;
  readonly positions: readonly PartitionPosition[];
}

/** What the snapshot topic holds, oldest first. */
export async function listSnapshots(config: Config, logger: Logger): Promise<ListedSnapshot[]> {
  await preflight({ brokers: brokersOf(config), clientId: config.KAFKA_CLIENT_ID });
  const scan = await scanSnapshots({ kafka: createKafka(config, logger), topic: config.KAFKA_TOPIC_SNAPSHOTS, logger, expectation: null });
  if (scan.missing) throw new Error(`snapshot topic "${config.KAFKA_TOPIC_SNAPSHOTS}" does not exist (see docs/snapshots.md)`);
  return scan.snapshots.map((s) => ({
    id: s.id,
    offset: s.offset,
    createdAt: s.header === null ? null : new Date(s.header.createdAt).toISOString(),
    complete: s.header !== null && s.trailer !== null && s.chunksSeen === s.trailer.chunks && s.bytes === s.trailer.bytes,
    format: s.header?.format ?? null,
    reducer: s.header?.reducer ?? null,
    intents: s.header?.intents ?? null,
    tombstones: s.header?.tombstones ?? null,
    bytes: s.bytes,
    chunks: s.chunksSeen,
    positions: s.header?.positions ?? [],
  }));
}

export interface SnapshotSummary {
  readonly id: string;
  readonly from: 'snapshot' | 'replay';
  readonly intents: number;
  readonly recordsReplayed: number;
  readonly bytes: number;
  readonly chunks: number;
  readonly seconds: number;
  readonly positions: readonly PartitionPosition[];
}

/** Restores (or replays), folds up to the topics' end, writes one snapshot. */
export async function writeSnapshot(config: Config, logger: Logger, fromScratch: boolean): Promise<SnapshotSummary> {
  const started = Date.now();
  await preflight({ brokers: brokersOf(config), clientId: config.KAFKA_CLIENT_ID });
  const kafka = createKafka(config, logger);
  const plan = await planRestore({ kafka, config, logger, fromScratch });
  const source = new KafkaSource({ ...kafkaSourceOptionsFromConfig(config, kafka, logger), resumeAt: plan.resumeAt });
  const replayed = await replaySource(source, {}, Date.now, {
    topics: inputTopics(config),
    store: plan.store,
  });
  // the source has stopped: its positions are the next offsets after everything folded
  const positions = source.progress().partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.position }));
  const store = plan.store;
  const writer = new SnapshotWriter({ kafka, topic: config.KAFKA_TOPIC_SNAPSHOTS, logger });
  try {
    const { meta, image } = snapshotContents(store, inputTopics(config), positions);
    const written = await writer.write(meta, image);
    return {
      id: written.id,
      from: plan.from,
      intents: store.size,
      recordsReplayed: replayed.recordsRead,
      bytes: written.bytes,
      chunks: written.chunks,
      seconds: Number(((Date.now() - started) / 1000).toFixed(3)),
      positions,
    };
  } finally {
    await writer.close();
  }
}

export const snapshotCommand: Command = {
  name: 'snapshot',
  summary: 'write a snapshot of the state from the topics and exit (--list: show the snapshots)',
  help: `Usage: intent-projector snapshot [--list] [options]

Builds the state the way a starting node does (the newest usable snapshot on the snapshot topic
and the records after its positions, or every record with --from-scratch), writes it as a new
snapshot to KAFKA_TOPIC_SNAPSHOTS and exits. A running fleet keeps writing its own; see
docs/snapshots.md.

Options:
  --list              list the snapshots on the topic (time, positions, intents, bytes) instead
  --from-scratch      ignore existing snapshots: replay every record
  --json              print the result as one JSON line (--list: one line per snapshot)
${configHelp(FLAGS)}
  -h, --help          show this help

Exit codes: 0 done, 1 runtime failure (e.g. broker unreachable, topic missing), 2 invalid option or configuration.`,
  async run(argv, io) {
    const { values, env } = parseCommand(
      'snapshot',
      argv,
      { list: { type: 'boolean' }, 'from-scratch': { type: 'boolean' }, json: { type: 'boolean' } },
      FLAGS,
      io.env,
    );
    if (values['help']) {
      io.stdout.write(`${snapshotCommand.help}\n`);
      return 0;
    }
    const config = loadConfig(env);
    if (config.KAFKA_BROKERS === undefined) throw new UsageError('snapshot needs a broker: set KAFKA_BROKERS or pass --brokers host:port');
    const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, {
      pretty: io.stderr.isTTY === true,
      destination: 'stderr',
    });
    if (values['list']) {
      const list = await listSnapshots(config, logger);
      if (values['json']) for (const s of list) io.stdout.write(`${JSON.stringify(s)}\n`);
      else io.stdout.write(formatList(config.KAFKA_TOPIC_SNAPSHOTS, list));
      return 0;
    }
    const s = await writeSnapshot(config, logger, values['from-scratch'] === true);
    io.stdout.write(
      values['json']
        ? `${JSON.stringify(s)}\n`
        : `snapshot ${s.id} written to ${config.KAFKA_TOPIC_SNAPSHOTS}: ${s.intents} intents, ${s.bytes} bytes in ${s.chunks} records, ` +
            `from ${s.from} (${s.recordsReplayed} records read) in ${s.seconds}s\n`,
    );
    return 0;
  },
};

const positionsText = (ps: readonly PartitionPosition[]): string => ps.map((p) => `${p.topic}/${p.partition}@${p.offset}`).join(' ');

function formatList(topic: string, list: readonly ListedSnapshot[]): string {
  if (list.length === 0) return `no snapshots on ${topic}\n`;
  const rows = list.map(
    (s) =>
      `${s.createdAt ?? '(no header)'}  ${s.id}  ${s.complete ? 'complete  ' : 'INCOMPLETE'}  ` +
      `format ${s.format ?? '?'} reducer ${s.reducer ?? '?'}  ${s.intents ?? '?'} intents  ${s.bytes} bytes  ${positionsText(s.positions)}`,
  );
  return `${rows.join('\n')}\n`;
}
