/**
 * Start-up: the newest usable snapshot, read back from the end of the snapshot topic, so a start
 * reads one snapshot however many the retention keeps (docs/snapshots.md "Loading at start").
 *
 * A writer sends a snapshot's records in order, one after the other (writer.ts: an idempotent
 * producer, one request in flight), so the records of a snapshot are consecutive offsets:
 *   header at H, chunk seq s at H + 1 + s, trailer at H + 1 + chunks.
 * From the last record before `end` the header's offset follows (a trailer: end - 2 - chunks; a
 * chunk: its offset - 1 - seq; a header: itself); the records from there to `end` are read,
 * checked and decoded. A snapshot that cannot be used is skipped with its reason, and the one
 * before its header is tried. Where the records do not line up (two writers at once, a record
 * that is not a snapshot's), the topic is read from its start instead (loader.ts `scanSnapshots`).
 */
import type { PartitionRange } from '../ingest/end-offsets.js';
import type { KafkaClient } from '../ingest/kafka-client.js';
import type { Logger } from '../log.js';
import type { Expectation } from './envelope.js';
import { type LoadedSnapshot, loadNewest, openScanned, SnapshotCollector, scanSnapshots, skipper, unusable } from './loader.js';
import { PartitionReader } from './partition-reader.js';
import { SNAPSHOT_PARTITION, toPiece } from './records.js';

export interface FindOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly logger: Logger;
  readonly expectation: Expectation;
  /** today's first and end offsets of every input partition */
  readonly ranges: readonly PartitionRange[];
  readonly onSkip?: (reason: string) => void;
  /** longest the whole search may take (default 120000 ms) */
  readonly timeoutMs?: number;
}

export type FindResult =
  | { readonly missing: true }
  | { readonly missing: false; readonly loaded: LoadedSnapshot | null; readonly seen: number; readonly fullScan: boolean };

export async function findNewest(opts: FindOptions): Promise<FindResult> {
  const { kafka, topic, logger } = opts;
  const admin = kafka.admin();
  await admin.connect();
  let low: bigint;
  let high: bigint;
  try {
    if (!(await admin.listTopics()).includes(topic)) return { missing: true };
    const p = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === SNAPSHOT_PARTITION);
    low = BigInt(p?.low ?? '0');
    high = BigInt(p?.high ?? '0');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (high <= low) return { missing: false, loaded: null, seen: 0, fullScan: false };

  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const left = (): number => Math.max(1, deadline - Date.now());
  const { skipped, skip } = skipper(logger, opts.onSkip);
  const reader = await PartitionReader.open(kafka, topic, SNAPSHOT_PARTITION, high - 1n);
  let end = high;
  let seen = 0;
  let lined = true;
  try {
    while (end > low) {
      const [last] = await reader.read(end - 1n, end, left());
      const piece = last === undefined ? null : toPiece(last.value, last.headers);
      if (piece === null || 'invalid' in piece) {
        lined = false;
        break;
      }
      const at = end - 1n;
      const start =
        piece.part === 'trailer' ? at - 1n - BigInt(piece.trailer.chunks) : piece.part === 'chunk' ? at - 1n - BigInt(piece.seq) : at;
      const from = start < low ? low : start;
      const collector = new SnapshotCollector(opts.expectation, 1);
      for (const r of await reader.read(from, end, left())) collector.add(r.offset.toString(), r.value, r.headers);
      const snapshots = collector.snapshots();
      const s = snapshots[0];
      if (snapshots.length !== 1 || s === undefined || s.id !== piece.id || (start >= low && s.header === null)) {
        lined = false;
        break;
      }
      seen++;
      const why = unusable(s, opts.ranges);
      const opened = why === null ? await openScanned(s, opts.ranges) : { reason: why };
      if ('loaded' in opened) return { missing: false, loaded: { ...opened.loaded, skipped }, seen, fullScan: false };
      skip(s, opened.reason);
      end = from;
    }
  } finally {
    await reader.close();
  }
  if (lined) return { missing: false, loaded: null, seen, fullScan: false };
  // the records do not line up: read the topic from its start (the snapshots above were logged)
  logger.info({ topic }, `the snapshot topic ${topic} does not line up from its end: reading it from its start`);
  const scan = await scanSnapshots({ kafka, topic, logger, expectation: opts.expectation, timeoutMs: left() });
  if (scan.missing) return { missing: true };
  const already = new Set(skipped.map((x) => x.id));
  const loaded = await loadNewest(scan.snapshots, opts.ranges, logger, opts.onSkip, already);
  return {
    missing: false,
    loaded: loaded === null ? null : { ...loaded, skipped: [...skipped, ...loaded.skipped] },
    seen: scan.snapshots.length,
    fullScan: true,
  };
}
