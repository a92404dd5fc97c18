/**
 * The `EventSource` port: where records come from. `kafka-source.ts` implements it with kafkajs,
 * `embedded-source.ts` with an in-process log fed by the simulator. Another client can plug in by
 * implementing this interface.
 */
import type { RecordHeaders } from './headers.js';

export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
  /** the Kafka record timestamp, epoch ms (CreateTime or LogAppendTime); bounds housekeeping clocks */
  readonly timestamp?: number;
}

/** Records of one topic-partition, in offset order. */
export interface SourceBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly SourceRecord[];
}

export interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  /** next offset to read */
  readonly position: string;
  /** end offset recorded at start (the replay target) */
  readonly target: string;
  /** latest known end offset */
  readonly high: string;
}

export interface ReplayProgress {
  readonly caughtUp: boolean;
  /** records read so far in this run */
  readonly recordsRead: number;
  /** records between the start offsets and the targets of all partitions */
  readonly recordsToReplay: number;
  readonly partitions: readonly PartitionProgress[];
}

export interface SourceHandlers {
  /**
   * Called for each batch, in offset order per partition. The source commits/resolves the batch's
   * offsets only after the returned promise resolves, and stops (calling `onFatal`) if it rejects.
   */
  onBatch(batch: SourceBatch): Promise<void>;
  /** Every partition reached the end offset it had at start. Called once. */
  onCaughtUp(): void;
  /** Broker reachability changed. */
  onConnectionChange?(connected: boolean): void;
  /** An unrecoverable error: the service should stop. */
  onFatal?(error: Error): void;
}

export interface EventSource {
  /** Starts consuming from the earliest retained offsets; resolves once consumption has begun. */
  start(handlers: SourceHandlers): Promise<void>;
  /** Replay progress and lag per partition, for logs and metrics. */
  progress(): ReplayProgress;
  /** Stops consuming; resolves when no batch is in flight. */
  stop(): Promise<void>;
  /** What keeps records from being applied, when the source knows (shown while ingestion is stalled). */
  problem?(): string | null;
  /** How many times the consumer crashed (and was replaced) since the start, when the source has one. */
  crashes?(): number;
}

/** Where undecodable records go (docs/contract.md § Input, dead letters). */
export interface DeadLetterSink {
  /** Resolves once the record is durably written; rejects (after retries) if it cannot be. */
  write(record: SourceRecord, reason: string): Promise<void>;
  /** Why dead letters cannot be written now; null while they can. */
  unwritable?(): { readonly reason: string } | null;
}
