/**
 * The snapshot topic read from its start, and the checks a snapshot must pass before it is loaded.
 * A start reads back from the end instead (newest.ts) and comes here only when the records do not
 * line up; `snapshot --list` lists what a scan finds.
 *
 * `scanSnapshots` reads partition 0 of the topic once, from its earliest retained offset to the
 * end it had when the scan began, and groups the records by snapshot id (`SnapshotCollector`).
 * Only the chunks of the newest `keep` complete, compatible snapshots stay in memory.
 * `loadNewest` then tries them newest first: a snapshot of another format or reducer version,
 * topics or partition counts, one without its trailer (the writer stopped, or is still writing),
 * one whose chunks do not add up or fail the checksum, or one whose positions lie beyond today's
 * log end (a recreated topic) is skipped with one warning saying why (`unusable`, `openScanned`);
 * the next older one is tried, and without any the node replays in full. Records that retention
 * deleted between a snapshot's positions and today's log start are counted (`gone`): their
 * effects are in the snapshot.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { KafkaClient } from '../ingest/kafka-client.js';
import type { PartitionRange } from '../ingest/end-offsets.js';
import type { Logger } from '../log.js';
import { markPhase } from '../phases.js';
import type { StoreRecords } from '../reduce/fold-state.js';
import { decodeImage, SnapshotCorruptError } from './codec.js';
import {
  type Expectation,
  incompatibility,
  openSnapshot,
  SnapshotRejected,
  type SnapshotHeader,
  type SnapshotTrailer,
} from './envelope.js';
import { SNAPSHOT_PARTITION, toPiece } from './records.js';

export interface ScannedSnapshot {
  readonly id: string;
  /** offset of its first record seen */
  readonly offset: string;
  header: SnapshotHeader | null;
  trailer: SnapshotTrailer | null;
  /** chunk bytes by seq; emptied for older snapshots beyond `keep` */
  readonly chunks: Map<number, Buffer>;
  /** bytes of all its chunks seen */
  bytes: number;
  chunksSeen: number;
  /** why it cannot be loaded, when known from the header alone */
  incompatible: string | null;
  dropped: boolean;
}

export interface ScanOptions {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly logger: Logger;
  /** null when only listing: no compatibility check, no chunks kept */
  readonly expectation: Expectation | null;
  /** complete, compatible snapshots whose chunks are kept (default 3) */
  readonly keep?: number;
  /** longest the scan may take (default 120000 ms) */
  readonly timeoutMs?: number;
}

export type ScanResult = { readonly missing: true } | { readonly missing: false; readonly snapshots: ScannedSnapshot[] };

type RawHeaders = Parameters<typeof toPiece>[1];

/**
 * Groups records of the snapshot topic, in offset order, into snapshots by id. Only the chunks of
 * the newest `keep` complete, compatible snapshots stay in memory (`expectation` null: listing,
 * no chunks kept).
 */
export class SnapshotCollector {
  private readonly byId = new Map<string, ScannedSnapshot>();
  private readonly complete: ScannedSnapshot[] = [];

  constructor(
    private readonly expectation: Expectation | null,
    private readonly keep: number,
    private readonly onInvalid: (offset: string, reason: string) => void = () => undefined,
  ) {}

  add(offset: string, value: Buffer | null, headers: RawHeaders): void {
    const piece = toPiece(value, headers);
    if ('invalid' in piece) {
      this.onInvalid(offset, piece.invalid);
      return;
    }
    let s = this.byId.get(piece.id);
    if (s === undefined) {
      s = {
        id: piece.id,
        offset,
        header: null,
        trailer: null,
        chunks: new Map(),
        bytes: 0,
        chunksSeen: 0,
        incompatible: null,
        dropped: false,
      };
      this.byId.set(piece.id, s);
    }
    switch (piece.part) {
      case 'header':
        s.header = piece.header;
        if (this.expectation !== null) s.incompatible = incompatibility(piece.header, this.expectation);
        if (s.incompatible !== null || this.expectation === null) s.dropped = true;
        break;
      case 'chunk':
        s.chunksSeen++;
        s.bytes += piece.bytes.length;
        if (!s.dropped && !s.chunks.has(piece.seq)) s.chunks.set(piece.seq, piece.bytes);
        break;
      case 'trailer':
        s.trailer = piece.trailer;
        if (s.header === null) s.chunks.clear();
        else if (!s.dropped) {
          this.complete.push(s);
          const old = this.complete.length > this.keep ? this.complete.shift() : undefined;
          if (old !== undefined) {
            old.chunks.clear();
            old.dropped = true;
          }
        }
        break;
      default: {
        const never: never = piece;
        throw new Error(`unknown piece ${JSON.stringify(never)}`);
      }
    }
  }

  /** Oldest first (by their first record). */
  snapshots(): ScannedSnapshot[] {
    return [...this.byId.values()];
  }
}

/** Reads the snapshot topic once; `missing` when it does not exist. Snapshots oldest first. */
export async function scanSnapshots(opts: ScanOptions): Promise<ScanResult> {
  const admin = opts.kafka.admin();
  await admin.connect();
  let low: bigint;
  let high: bigint;
  try {
    if (!(await admin.listTopics()).includes(opts.topic)) return { missing: true };
    const p = (await admin.fetchTopicOffsets(opts.topic)).find((o) => o.partition === SNAPSHOT_PARTITION);
    low = BigInt(p?.low ?? '0');
    high = BigInt(p?.high ?? '0');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (high <= low) return { missing: false, snapshots: [] };

  const collector = new SnapshotCollector(opts.expectation, opts.keep ?? 3, (offset, reason) =>
    opts.logger.debug({ topic: opts.topic, offset, reason }, 'snapshot topic: record ignored'),
  );
  const consumer: Consumer = opts.kafka.consumer({
    groupId: `intent-projector-snapshot-scan-${randomBytes(4).toString('hex')}`,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 32 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    maxWaitTimeInMs: 200,
  });
  const timeoutMs = opts.timeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`reading the snapshot topic ${opts.topic} took longer than ${timeoutMs}ms`)), timeoutMs);
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (batch.partition !== SNAPSHOT_PARTITION) return;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= high) break;
              collector.add(m.offset, m.value, m.headers ?? {});
            }
            if (BigInt(batch.lastOffset()) + 1n >= high) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return { missing: false, snapshots: collector.snapshots() };
}

export interface LoadedSnapshot {
  readonly header: SnapshotHeader;
  readonly image: StoreRecords;
  /** where to resume each input partition: max(snapshot position, today's log start) */
  readonly resumeAt: ReadonlyMap<string, bigint>;
  /** offsets retention deleted between the snapshot's positions and today's log start */
  readonly gone: number;
  readonly bytes: number;
  /** snapshots skipped, newest first, with the reason */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
}

export const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`;

/** Why the snapshot's positions do not fit today's logs, or null. */
function beyondEnd(header: SnapshotHeader, ranges: readonly PartitionRange[]): string | null {
  const byKey = new Map(ranges.map((r) => [partitionKey(r.topic, r.partition), r]));
  for (const p of header.positions) {
    const r = byKey.get(partitionKey(p.topic, p.partition));
    if (r === undefined) return `position for ${p.topic}/${p.partition}, which does not exist`;
    if (BigInt(p.offset) > r.high)
      return `position ${p.offset} of ${p.topic}/${p.partition} is beyond its end ${r.high} (topic recreated?)`;
  }
  return null;
}

/** Why a snapshot cannot be loaded, or null when it may be tried (its chunks read and decoded). */
export function unusable(s: ScannedSnapshot, ranges: readonly PartitionRange[]): string | null {
  if (s.header === null) return 'incomplete: its header is gone (deleted by retention) or was never written';
  if (s.incompatible !== null) return s.incompatible;
  if (s.trailer === null) return `incomplete: no trailer after ${s.chunksSeen} chunks (the writer stopped, or is still writing)`;
  return beyondEnd(s.header, ranges);
}

/**
 * A snapshot `unusable` let through, checked (chunks, checksum) and decoded: the loaded
 * snapshot, or why it cannot be loaded.
 */
export async function openScanned(
  s: ScannedSnapshot,
  ranges: readonly PartitionRange[],
): Promise<{ loaded: Omit<LoadedSnapshot, 'skipped'> } | { reason: string }> {
  const header = s.header!;
  const trailer = s.trailer!;
  const chunks: Buffer[] = [];
  for (let seq = 0; seq < trailer.chunks && s.chunks.has(seq); seq++) chunks.push(s.chunks.get(seq)!);
  markPhase('snapshotRead');
  let image: StoreRecords;
  try {
    image = decodeImage(await openSnapshot(header, chunks, trailer));
  } catch (err) {
    if (err instanceof SnapshotRejected) return { reason: err.message };
    if (err instanceof SnapshotCorruptError) return { reason: `corrupt: ${err.message}` };
    throw err;
  }
  const resumeAt = new Map<string, bigint>();
  let gone = 0n;
  const positions = new Map(header.positions.map((p) => [partitionKey(p.topic, p.partition), BigInt(p.offset)]));
  for (const r of ranges) {
    const k = partitionKey(r.topic, r.partition);
    const at = positions.get(k) ?? r.low;
    if (r.low > at) gone += r.low - at;
    // biome-ignore lint/complexity/useMathMinMax: bigint offsets (Math.max takes numbers)
    resumeAt.set(k, at > r.low ? at : r.low);
  }
  return { loaded: { header, image, resumeAt, gone: Number(gone), bytes: trailer.bytes } };
}

/** Logs (one warning line) and counts a skipped snapshot. */
export function skipper(logger: Logger, onSkip?: (reason: string) => void) {
  const skipped: { id: string; reason: string }[] = [];
  const skip = (s: ScannedSnapshot, reason: string): void => {
    skipped.push({ id: s.id, reason });
    onSkip?.(reason);
    logger.warn({ snapshot: s.id, offset: s.offset, createdAt: s.header?.createdAt, reason }, `snapshot skipped: ${reason}`);
  };
  return { skipped, skip };
}

/**
 * The newest usable snapshot of a scan, decoded, or null (skips are logged). `ranges`: today's
 * low/high offsets of every input partition. Snapshots whose id is in `already` were skipped
 * before (logged then) and are passed over silently.
 */
export async function loadNewest(
  scanned: readonly ScannedSnapshot[],
  ranges: readonly PartitionRange[],
  logger: Logger,
  onSkip?: (reason: string) => void,
  already: ReadonlySet<string> = new Set(),
): Promise<LoadedSnapshot | null> {
  const { skipped, skip } = skipper(logger, onSkip);
  for (let i = scanned.length - 1; i >= 0; i--) {
    const s = scanned[i]!;
    if (already.has(s.id)) continue;
    if (s.dropped && s.incompatible === null && s.header !== null && s.trailer !== null) break; // older than the snapshots kept: none of those was usable
    const why = unusable(s, ranges);
    if (why !== null) {
      skip(s, why);
      continue;
    }
    const r = await openScanned(s, ranges);
    if ('reason' in r) {
      skip(s, r.reason);
      continue;
    }
    return { ...r.loaded, skipped };
  }
  return null;
}
