/**
 * Dead letters that fit the DLQ topic (docs/ingestion.md "Oversized records"). Any record the
 * input topic accepts must be dead-letterable, but a dead letter is its record plus the `dlq.*`
 * headers: a bad record close to the input topic's `max.message.bytes` does not fit a DLQ topic
 * with the same limit. Such a dead letter is still written, cut: the value is shortened (or
 * dropped) until the record fits, and header `dlq.value.truncated` holds the original value size
 * in bytes. The key and the source headers stay as they are (if even they do not fit, the key is
 * cut too and `dlq.key.truncated` holds its size).
 */
import type { IHeaders } from 'kafkajs';

export const TRUNCATED_HEADERS = {
  value: 'dlq.value.truncated',
  key: 'dlq.key.truncated',
} as const;

/** Kafka's default `max.message.bytes` (topic) / `message.max.bytes` (broker). */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * Room kept for what a one-record batch adds to key, value and header bytes: the v2 batch header
 * (61 bytes) and the record's varints (a few bytes per field and header). Generous on purpose.
 */
export const BATCH_OVERHEAD_BYTES = 512;
const PER_HEADER_BYTES = 10;

export interface DeadLetterMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
}

const byteLength = (v: Buffer | string): number => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length);

function headerBytes(headers: IHeaders): number {
  let n = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) n += byteLength(name) + byteLength(v) + PER_HEADER_BYTES;
  }
  return n;
}

/** The bytes the message takes in a one-record batch, at most (see BATCH_OVERHEAD_BYTES). */
export function messageBytes(m: DeadLetterMessage): number {
  return BATCH_OVERHEAD_BYTES + (m.key?.length ?? 0) + (m.value?.length ?? 0) + headerBytes(m.headers);
}

/** `m` if it fits `maxBytes`; else `m` with its value cut (then its key) to fit, the truncation headers added. */
export function fitDeadLetter(m: DeadLetterMessage, maxBytes: number): DeadLetterMessage {
  if (messageBytes(m) <= maxBytes) return m;
  const valueSize = m.value?.length ?? 0;
  const headers: IHeaders = { ...m.headers, [TRUNCATED_HEADERS.value]: String(valueSize) };
  const withoutValue: DeadLetterMessage = { key: m.key, value: null, headers };
  const room = maxBytes - messageBytes(withoutValue);
  if (room >= 0) return { ...withoutValue, value: room > 0 && m.value !== null ? m.value.subarray(0, room) : null };
  // even the key and headers are too large: cut the key as well
  const keySize = m.key?.length ?? 0;
  const keyless: DeadLetterMessage = { key: null, value: null, headers: { ...headers, [TRUNCATED_HEADERS.key]: String(keySize) } };
  const keyRoom = maxBytes - messageBytes(keyless);
  return { ...keyless, key: keyRoom > 0 && m.key !== null ? m.key.subarray(0, keyRoom) : null };
}
