/**
 * The in-process event log of embedded mode (docs/architecture.md): append-only, with Kafka's
 * shape (topics, partitions chosen by key, offsets, record timestamps) and count-based retention.
 * The simulator appends to it; `EmbeddedSource` reads it exactly like the Kafka source reads a
 * broker. Each record is stamped with the log's clock at append (Kafka's `LogAppendTime`), so the
 * housekeeping clock of embedded mode is bounded by it as on a broker (docs/reducer.md "Untrusted
 * time").
 */
import type { RecordHeaders } from './headers.js';
import type { SourceRecord } from './source.js';

export interface AppendInput {
  readonly key: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly headers?: RecordHeaders;
  /**
   * the record timestamp (epoch ms) as a producer's CreateTime; default: the log's clock at
   * append. Like a Kafka 4 broker, the log refuses one more than an hour ahead of its clock.
   */
  readonly timestamp?: number;
}

/** how far ahead of the log's clock a record timestamp may be (Kafka 4's default `log.message.timestamp.after.max.ms`) */
export const MAX_TIMESTAMP_AHEAD_MS = 3_600_000;

interface Partition {
  /** offset of records[0] (the earliest retained offset) */
  base: number;
  records: SourceRecord[];
}

export interface EmbeddedLogOptions {
  /** partitions per topic (default 3) */
  readonly partitions?: number;
  /**
   * Retention: most records kept per partition (default 20000). Older ones are dropped, like
   * Kafka's retention, so a long-running embedded demo does not grow without bound.
   */
  readonly retainPerPartition?: number;
  /** the clock of record timestamps (default Date.now) */
  readonly clock?: () => number;
}

/** The log: topics of `partitions` partitions each, with count-based retention. */
export class EmbeddedLog {
  private readonly parts = new Map<string, Partition[]>();
  private readonly listeners = new Set<() => void>();
  readonly partitions: number;
  private readonly retain: number;
  private readonly clock: () => number;

  constructor(topics: readonly string[], opts: EmbeddedLogOptions = {}) {
    this.partitions = opts.partitions ?? 3;
    this.retain = opts.retainPerPartition ?? 20_000;
    this.clock = opts.clock ?? Date.now;
    if (!Number.isInteger(this.partitions) || this.partitions < 1) throw new RangeError('partitions must be a positive integer');
    if (!Number.isInteger(this.retain) || this.retain < 1) throw new RangeError('retainPerPartition must be a positive integer');
    for (const t of topics)
      this.parts.set(
        t,
        Array.from({ length: this.partitions }, () => ({ base: 0, records: [] })),
      );
  }

  get topics(): string[] {
    return [...this.parts.keys()];
  }

  /** Appends one record (partition by key hash, like Kafka's default partitioner); returns where. */
  append(topic: string, input: AppendInput): { partition: number; offset: string } {
    const partitions = this.topic(topic);
    const now = this.clock();
    const timestamp = input.timestamp ?? now;
    if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > now + MAX_TIMESTAMP_AHEAD_MS) {
      throw new RangeError(
        `record timestamp ${timestamp} is not an epoch-ms time at most ${MAX_TIMESTAMP_AHEAD_MS} ms ahead of the log's clock`,
      );
    }
    const key = input.key === null ? null : Buffer.from(input.key);
    const partition = key === null ? 0 : hash(key) % partitions.length;
    const log = partitions[partition]!;
    const offset = String(log.base + log.records.length);
    log.records.push({
      topic,
      partition,
      offset,
      key,
      value: input.value === null ? null : Buffer.from(input.value),
      headers: input.headers ?? {},
      timestamp,
    });
    if (log.records.length > this.retain) {
      // drop in chunks of ~10% so the array is not shifted on every append
      const drop = log.records.length - this.retain + Math.floor(this.retain / 10);
      log.records.splice(0, drop);
      log.base += drop;
    }
    for (const l of this.listeners) l();
    return { partition, offset };
  }

  /** the next offset to be written */
  end(topic: string, partition: number): number {
    const p = this.topic(topic)[partition];
    return p === undefined ? 0 : p.base + p.records.length;
  }

  /** the earliest retained offset */
  start(topic: string, partition: number): number {
    return this.topic(topic)[partition]?.base ?? 0;
  }

  /** Up to `max` records from offset `from` (or from the earliest retained one, if later). */
  read(topic: string, partition: number, from: number, max: number): SourceRecord[] {
    const p = this.topic(topic)[partition];
    if (p === undefined) return [];
    const i = Math.max(0, from - p.base);
    return p.records.slice(i, i + max);
  }

  /** records retained in the whole log */
  get size(): number {
    let n = 0;
    for (const ps of this.parts.values()) for (const p of ps) n += p.records.length;
    return n;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private topic(name: string): Partition[] {
    const p = this.parts.get(name);
    if (p === undefined) throw new Error(`unknown topic "${name}" (known: ${this.topics.join(', ')})`);
    return p;
  }
}

/** FNV-1a; spreads keys over partitions deterministically. */
function hash(key: Buffer): number {
  let h = 0x811c9dc5;
  for (const b of key) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}
