/**
 * Embedded mode (contract.md section 7): an in-process, append-only event log with Kafka's shape
 * (topics, partitions chosen by key, offsets), an `EventSource` reading it exactly like the Kafka
 * source reads a broker (replay to the end offsets seen at start, then live), and an in-memory
 * `DeadLetterSink`. Fed by the simulator when no KAFKA_BROKERS is set; also handy in tests.
 */
import type { RecordHeaders } from './decode.js';
import type { DeadLetterSink, EventSource, PartitionProgress, ReplayProgress, SourceHandlers, SourceRecord } from './source.js';

export interface AppendInput {
  readonly key: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly headers?: RecordHeaders;
}

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
}

/** The log: topics of `partitions` partitions each, with count-based retention. */
export class EmbeddedLog {
  private readonly parts = new Map<string, Partition[]>();
  private readonly listeners = new Set<() => void>();
  readonly partitions: number;
  private readonly retain: number;

  constructor(topics: readonly string[], opts: EmbeddedLogOptions = {}) {
    this.partitions = opts.partitions ?? 3;
    this.retain = opts.retainPerPartition ?? 20_000;
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

interface Cursor {
  readonly topic: string;
  readonly partition: number;
  position: number;
  readonly start: number;
  readonly target: number;
}

export interface EmbeddedSourceOptions {
  /** topics to read (default: every topic of the log) */
  readonly topics?: readonly string[];
  /** most records per batch (default 500) */
  readonly batchSize?: number;
}

/** Reads an `EmbeddedLog` from the earliest retained offsets: replay up to the end offsets at start, then live. */
export class EmbeddedSource implements EventSource {
  private cursors: Cursor[] = [];
  private running = false;
  private caughtUp = false;
  private read = 0;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly log: EmbeddedLog,
    private readonly opts: EmbeddedSourceOptions = {},
  ) {}

  async start(handlers: SourceHandlers): Promise<void> {
    if (this.running) throw new Error('embedded source already started');
    const topics = this.opts.topics ?? this.log.topics;
    this.cursors = topics.flatMap((topic) =>
      Array.from({ length: this.log.partitions }, (_, partition) => ({
        topic,
        partition,
        position: this.log.start(topic, partition),
        start: this.log.start(topic, partition),
        target: this.log.end(topic, partition),
      })),
    );
    this.running = true;
    this.unsubscribe = this.log.subscribe(() => this.wake?.());
    handlers.onConnectionChange?.(true);
    this.loop = this.pump(handlers);
  }

  progress(): ReplayProgress {
    const partitions: PartitionProgress[] = this.cursors.map((c) => ({
      topic: c.topic,
      partition: c.partition,
      position: String(c.position),
      target: String(c.target),
      high: String(this.log.end(c.topic, c.partition)),
    }));
    return {
      caughtUp: this.caughtUp,
      recordsRead: this.read,
      recordsToReplay: this.cursors.reduce((n, c) => n + (c.target - c.start), 0),
      partitions,
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
  }

  private async pump(handlers: SourceHandlers): Promise<void> {
    const max = this.opts.batchSize ?? 500;
    try {
      while (this.running) {
        let delivered = 0;
        for (const c of this.cursors) {
          if (!this.running) break;
          const records = this.log.read(c.topic, c.partition, c.position, max);
          if (records.length === 0) continue;
          await handlers.onBatch({ topic: c.topic, partition: c.partition, records });
          // records older than the retention were skipped, like a Kafka consumer out of range
          c.position = Number(records[records.length - 1]!.offset) + 1;
          this.read += records.length;
          delivered += records.length;
        }
        if (!this.caughtUp && this.cursors.every((c) => c.position >= c.target)) {
          this.caughtUp = true;
          handlers.onCaughtUp();
        }
        if (delivered === 0 && this.running) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = null;
        } else {
          // let timers and I/O run between batches
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } catch (err) {
      this.running = false;
      handlers.onFatal?.(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

export interface DeadLetter {
  readonly record: SourceRecord;
  readonly reason: string;
}

/** Keeps dead letters in memory (the newest `capacity` of them). */
export class MemoryDeadLetterSink implements DeadLetterSink {
  private readonly kept: DeadLetter[] = [];
  private count = 0;

  constructor(private readonly capacity = 10_000) {}

  async write(record: SourceRecord, reason: string): Promise<void> {
    this.count++;
    this.kept.push({ record, reason });
    if (this.kept.length > this.capacity) this.kept.shift();
  }

  /** dead letters written in total */
  get total(): number {
    return this.count;
  }

  get letters(): readonly DeadLetter[] {
    return this.kept;
  }
}
