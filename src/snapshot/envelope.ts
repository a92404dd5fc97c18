/**
 * A snapshot as a sequence of pieces: a header (what it is and which input positions it reflects),
 * the store image (codec.ts) cut into chunks that each fit one Kafka record, and a trailer (how
 * many chunks and bytes, and their SHA-256). A snapshot whose trailer is missing, whose chunks do
 * not add up, or whose checksum differs is never loaded (docs/snapshots.md).
 *
 * FORMAT_VERSION covers this envelope and the image layout (codec.ts); REDUCER_VERSION
 * (src/reduce/version.ts) the rules that folded the state. A node loads only a snapshot with both
 * equal to its own, for the same input topics and partition counts (`incompatibility`).
 */
import { createHash } from 'node:crypto';
import type { MempoolStats } from '../reduce/stats.js';

/** Bump when the image layout (codec.ts), this envelope, or what the store keeps changes. */
export const FORMAT_VERSION = 8;

export interface InputTopics {
  readonly lifecycle: string;
  readonly proofs: string;
}

/** The next offset to read of one input partition: everything before it is in the snapshot. */
export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface SnapshotHeader {
  readonly format: number;
  readonly reducer: number;
  readonly id: string;
  /** wall-clock time the snapshot was taken, epoch ms */
  readonly createdAt: number;
  readonly topics: InputTopics;
  /** every partition of both input topics */
  readonly positions: readonly PartitionPosition[];
  /** live projections */
  readonly intents: number;
  readonly tombstones: number;
  readonly eventsApplied: number;
  readonly stats: MempoolStats;
  /** the image (codec.ts), in bytes */
  readonly imageBytes: number;
}

export interface SnapshotTrailer {
  readonly id: string;
  readonly chunks: number;
  /** bytes over all chunks */
  readonly bytes: number;
  readonly sha256: string;
}

export interface SealedSnapshot {
  readonly header: SnapshotHeader;
  readonly chunks: readonly Buffer[];
  readonly trailer: SnapshotTrailer;
}

export type SnapshotMeta = Omit<SnapshotHeader, 'format' | 'reducer' | 'imageBytes'> & { readonly reducer: number };

/**
 * Cuts `image` into chunks of at most `chunkBytes` and checksums it. Not compressed: the image is
 * mostly hashes, proofs and de-duplication keys, which deflate shrinks by a third at more CPU
 * than moving the bytes costs (docs/snapshots.md "Format").
 */
export async function sealSnapshot(meta: SnapshotMeta, image: Uint8Array, chunkBytes: number): Promise<SealedSnapshot> {
  if (chunkBytes < 1024) throw new Error(`snapshot chunks of ${chunkBytes} bytes are too small`);
  const bytes = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(bytes.subarray(at, at + chunkBytes));
  if (chunks.length === 0) chunks.push(Buffer.alloc(0));
  const header: SnapshotHeader = { format: FORMAT_VERSION, ...meta, imageBytes: image.byteLength };
  const trailer: SnapshotTrailer = {
    id: meta.id,
    chunks: chunks.length,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  return { header, chunks, trailer };
}

/** Why a snapshot cannot be loaded (the reason is logged as is). */
export class SnapshotRejected extends Error {
  override readonly name = 'SnapshotRejected';
}

/** Checks the chunks against the trailer: the image bytes, or SnapshotRejected. */
export async function openSnapshot(header: SnapshotHeader, chunks: readonly Buffer[], trailer: SnapshotTrailer): Promise<Uint8Array> {
  if (chunks.length !== trailer.chunks) throw new SnapshotRejected(`incomplete: ${chunks.length} of ${trailer.chunks} chunks`);
  const image = Buffer.concat(chunks);
  if (image.length !== trailer.bytes) throw new SnapshotRejected(`incomplete: ${image.length} of ${trailer.bytes} bytes`);
  const sha = createHash('sha256').update(image).digest('hex');
  if (sha !== trailer.sha256) throw new SnapshotRejected('checksum mismatch (corrupt)');
  if (image.length !== header.imageBytes)
    throw new SnapshotRejected(`image is ${image.length} bytes, the header says ${header.imageBytes}`);
  return image;
}

export interface Expectation {
  readonly reducer: number;
  readonly topics: InputTopics;
  /** partitions per input topic today */
  readonly partitionCounts: ReadonlyMap<string, number>;
}

/** Why this node cannot use a snapshot with `header`, or null when it can. */
export function incompatibility(header: SnapshotHeader, expected: Expectation): string | null {
  if (header.format !== FORMAT_VERSION) return `format version ${header.format}, this node reads ${FORMAT_VERSION}`;
  if (header.reducer !== expected.reducer) return `reducer version ${header.reducer}, this node folds with ${expected.reducer}`;
  const t = header.topics;
  if (t.lifecycle !== expected.topics.lifecycle || t.proofs !== expected.topics.proofs) {
    return `taken from topics ${t.lifecycle}, ${t.proofs}; this node reads ${expected.topics.lifecycle}, ${expected.topics.proofs}`;
  }
  for (const [topic, count] of expected.partitionCounts) {
    const had = new Set(header.positions.filter((p) => p.topic === topic).map((p) => p.partition)).size;
    if (had !== count) return `taken with ${had} partitions of ${topic}, which has ${count} now`;
  }
  if (header.positions.some((p) => !expected.partitionCounts.has(p.topic))) return 'positions name a topic this node does not read';
  return null;
}
