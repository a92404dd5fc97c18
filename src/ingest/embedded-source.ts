/**
 * The `EventSource` of embedded mode: reads an `EmbeddedLog` like the Kafka source reads a broker,
 * from the earliest retained offsets, replaying up to the end offsets seen at start (caught up),
 * then live. Positions are kept by the same `ReplayTracker` and advance only after `onBatch`
 * resolved; a rejected `onBatch` stops the source and is reported to `onFatal`.
 */
import type { EmbeddedLog } from './embedded-log.js';
import { errorOf } from './kafka-util.js';
import { ReplayTracker } from './replay-tracker.js';
import type { EventSource, ReplayProgress, SourceHandlers } from './source.js';

export interface EmbeddedSourceOptions {
  /** topics to read (default: every topic of the log) */
  readonly topics?: readonly string[];
  /** most records per batch (default 500) */
  readonly batchSize?: number;
}

export class EmbeddedSource implements EventSource {
  private tracker = new ReplayTracker([]);
  private partitions: { readonly topic: string; readonly partition: number }[] = [];
  private running = false;
  private caughtUp = false;
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
    this.partitions = topics.flatMap((topic) => Array.from({ length: this.log.partitions }, (_, partition) => ({ topic, partition })));
    this.tracker = new ReplayTracker(
      this.partitions.map(({ topic, partition }) => ({
        topic,
        partition,
        low: BigInt(this.log.start(topic, partition)),
        high: BigInt(this.log.end(topic, partition)),
      })),
    );
    this.running = true;
    this.unsubscribe = this.log.subscribe(() => this.wake?.());
    handlers.onConnectionChange?.(true);
    this.loop = this.pump(handlers);
  }

  progress(): ReplayProgress {
    for (const { topic, partition } of this.partitions) this.tracker.observeHigh(topic, partition, BigInt(this.log.end(topic, partition)));
    return this.tracker.progress(this.caughtUp);
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
        for (const { topic, partition } of this.partitions) {
          if (!this.running) break;
          const records = this.log.read(topic, partition, Number(this.tracker.position(topic, partition)), max);
          if (records.length === 0) continue;
          await handlers.onBatch({ topic, partition, records });
          // records older than the retention were skipped, like a Kafka consumer out of range
          this.tracker.advance(topic, partition, BigInt(records[records.length - 1]!.offset) + 1n, records.length);
          delivered += records.length;
        }
        if (!this.caughtUp && this.tracker.reachedTargets) {
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
      handlers.onFatal?.(errorOf(err));
    }
  }
}
