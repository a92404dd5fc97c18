/**
 * The ingestion seam: what the service reads from and where its dead letters go, opened together
 * and closed together. Two factories open one: `openKafkaIngestion` (kafka-ingestion.ts: the
 * broker's topics and DLQ topic) and `openEmbeddedIngestion` (embedded-ingestion.ts: the in-process
 * log fed by the simulator, dead letters counted in memory).
 */
import type { DeadLetterSink, EventSource } from './source.js';

export interface Ingestion {
  readonly source: EventSource;
  readonly dlq: DeadLetterSink;
  /** Stops the source (if still running) and releases what the factory opened. Idempotent. */
  close(): Promise<void>;
}
