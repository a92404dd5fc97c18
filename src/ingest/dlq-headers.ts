/**
 * The dead-letter header codec (docs/ingestion.md "Dead letters"): a dead letter carries the
 * original record's key, value and headers, plus four headers naming where it came from and why:
 *
 *   dlq.source.topic      topic the record was read from
 *   dlq.source.partition  its partition (decimal)
 *   dlq.source.offset     its offset (decimal)
 *   dlq.reason            why it was refused, e.g. `data.fromChain: Invalid input: expected number`
 *
 * Written by `dlq-writer.ts`, read back at start by `dlq-index-loader.ts`.
 */
import type { IHeaders } from 'kafkajs';
import type { SourcePosition } from './dlq-index.js';
import { headerValue } from './headers.js';
import type { SourceRecord } from './source.js';

export const DLQ_HEADERS = {
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
  reason: 'dlq.reason',
} as const;

/** Longest `dlq.reason` header, characters (the reasons decode.ts writes are far shorter). */
export const MAX_REASON_LENGTH = 1000;

/** The headers of the dead letter of `record`: its own, then the four `dlq.*` ones (which replace any of the same name). */
export function deadLetterHeaders(record: SourceRecord, reason: string): IHeaders {
  return {
    ...record.headers,
    [DLQ_HEADERS.topic]: record.topic,
    [DLQ_HEADERS.partition]: String(record.partition),
    [DLQ_HEADERS.offset]: record.offset,
    [DLQ_HEADERS.reason]: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason,
  };
}

/** The source record a dead letter names in its `dlq.source.*` headers; null if they are missing or malformed. */
export function deadLetterSource(headers: IHeaders | undefined): SourcePosition | null {
  const topic = headerValue(headers, DLQ_HEADERS.topic);
  const partition = headerValue(headers, DLQ_HEADERS.partition);
  const offset = headerValue(headers, DLQ_HEADERS.offset);
  if (topic === undefined || topic === '' || partition === undefined || offset === undefined) return null;
  if (!/^\d+$/.test(partition) || !/^\d+$/.test(offset)) return null;
  return { topic, partition: Number(partition), offset };
}
