/**
 * A sealed snapshot (envelope.ts) as Kafka records on the snapshot topic's partition 0, and back.
 * Every record of a snapshot carries its id and its part in headers, so records of two snapshots
 * written at once (a writer that lost leadership and has not noticed yet) still sort apart:
 *
 *   snapshot-id: <id>   snapshot-part: header | chunk | trailer   snapshot-seq: <chunk index>
 *
 * The header and trailer are JSON; a chunk is raw compressed bytes. Untyped record → typed piece
 * happens here and nowhere else.
 */
import { z } from 'zod';
import type { SealedSnapshot, SnapshotHeader, SnapshotTrailer } from './envelope.js';

const count = z.number().int().nonnegative();
const headerSchema = z.object({
  format: z.number().int(),
  reducer: z.number().int(),
  id: z.string().min(1),
  createdAt: z.number(),
  topics: z.object({ lifecycle: z.string(), proofs: z.string() }),
  positions: z.array(z.object({ topic: z.string(), partition: count, offset: z.string().regex(/^\d+$/) })),
  intents: count,
  tombstones: count,
  eventsApplied: count,
  stats: z.object({
    total: count,
    submitted: count,
    matched: count,
    executing: count,
    completed: count,
    failed: count,
    cancelled: count,
  }),
  imageBytes: count,
}) satisfies z.ZodType<SnapshotHeader>;
const trailerSchema = z.object({
  id: z.string().min(1),
  chunks: count,
  bytes: count,
  sha256: z.string(),
}) satisfies z.ZodType<SnapshotTrailer>;

function json<T>(schema: z.ZodType<T>, value: Buffer): T | null {
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch {
    return null;
  }
  const r = schema.safeParse(raw);
  return r.success ? r.data : null;
}

export const SNAPSHOT_PARTITION = 0;

export interface SnapshotMessage {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

export type SnapshotPiece =
  | { readonly part: 'header'; readonly id: string; readonly header: SnapshotHeader }
  | { readonly part: 'chunk'; readonly id: string; readonly seq: number; readonly bytes: Buffer }
  | { readonly part: 'trailer'; readonly id: string; readonly trailer: SnapshotTrailer };

const msg = (id: string, part: string, value: Buffer, seq?: number): SnapshotMessage => ({
  key: id,
  value,
  headers: { 'snapshot-id': id, 'snapshot-part': part, ...(seq === undefined ? {} : { 'snapshot-seq': String(seq) }) },
});

/** Header, chunks in order, trailer. */
export function toMessages(s: SealedSnapshot): SnapshotMessage[] {
  const id = s.header.id;
  return [
    msg(id, 'header', Buffer.from(JSON.stringify(s.header))),
    ...s.chunks.map((c, i) => msg(id, 'chunk', c, i)),
    msg(id, 'trailer', Buffer.from(JSON.stringify(s.trailer))),
  ];
}

type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

function header(headers: RawHeaders, name: string): string | undefined {
  const v = headers[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}

/** A record of the snapshot topic → its piece, or a reason it is not one. */
export function toPiece(value: Buffer | null, headers: RawHeaders): SnapshotPiece | { readonly invalid: string } {
  const id = header(headers, 'snapshot-id');
  const part = header(headers, 'snapshot-part');
  if (id === undefined || part === undefined) return { invalid: 'not a snapshot record (no snapshot-id / snapshot-part header)' };
  if (value === null) return { invalid: `snapshot ${id}: ${part} record without a value` };
  switch (part) {
    case 'header': {
      const h = json(headerSchema, value);
      return h === null ? { invalid: `snapshot ${id}: unreadable header` } : { part, id, header: h };
    }
    case 'trailer': {
      const t = json(trailerSchema, value);
      return t === null ? { invalid: `snapshot ${id}: unreadable trailer` } : { part, id, trailer: t };
    }
    case 'chunk': {
      const seq = Number(header(headers, 'snapshot-seq'));
      if (!Number.isInteger(seq) || seq < 0) return { invalid: `snapshot ${id}: chunk without a valid snapshot-seq` };
      return { part, id, seq, bytes: value };
    }
    default:
      return { invalid: `snapshot ${id}: unknown part ${JSON.stringify(part)}` };
  }
}
