/**
 * The rate-paced producer: takes events from a `Scheduler` when they are due on the wall clock
 * and hands them, as records, to a `RecordSink` (Kafka, or the embedded in-process log).
 * Optionally repeats records (producer retries: same eventId) and mixes in malformed records.
 */
import type { Lifecycle, Outcome } from './lifecycle.js';
import { createRng, type Rng } from './prng.js';
import { malformedRecord, toRecord, type SimRecord } from './records.js';
import type { Scheduler } from './scheduler.js';

export interface RecordSink {
  /** Writes the records in order; resolves when they are accepted. */
  send(records: readonly SimRecord[]): Promise<void>;
}

export interface ProducerOptions {
  readonly scheduler: Scheduler;
  readonly sink: RecordSink;
  readonly seed?: number;
  /** share of events sent twice (0..1) */
  readonly duplicates?: number;
  /** share of extra malformed records, relative to events (0..1) */
  readonly malformed?: number;
  readonly clock?: () => number;
  /** how often the producer wakes up to send what is due (ms, default 20) */
  readonly tickMs?: number;
}

export interface ProducerSummary {
  /** distinct events sent */
  events: number;
  duplicates: number;
  malformed: number;
  /** records written (events + duplicates + malformed) */
  records: number;
  intents: number;
  byType: Record<string, number>;
  byOutcome: Partial<Record<Outcome, number>>;
  removed: number;
  seconds: number;
  eventsPerSecond: number;
}

export class Producer {
  private readonly rng: Rng;
  private readonly clock: () => number;
  private readonly started: number;
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly summary: ProducerSummary = {
    events: 0,
    duplicates: 0,
    malformed: 0,
    records: 0,
    intents: 0,
    byType: {},
    byOutcome: {},
    removed: 0,
    seconds: 0,
    eventsPerSecond: 0,
  };

  constructor(private readonly opts: ProducerOptions) {
    this.rng = createRng((opts.seed ?? 1) ^ 0x5bd1e995);
    this.clock = opts.clock ?? Date.now;
    this.started = this.clock();
    opts.scheduler.onStart((l: Lifecycle) => {
      this.summary.intents++;
      this.summary.byOutcome[l.outcome] = (this.summary.byOutcome[l.outcome] ?? 0) + 1;
      if (l.removed) this.summary.removed++;
    });
  }

  /** Sends every event due by `now`; resolves with how many events were sent. */
  async step(now = this.clock()): Promise<number> {
    const due = this.opts.scheduler.takeUntil(now);
    if (due.length === 0) return 0;
    const records: SimRecord[] = [];
    for (const e of due) {
      const r = toRecord(e);
      records.push(r);
      this.summary.events++;
      this.summary.byType[e.event.type] = (this.summary.byType[e.event.type] ?? 0) + 1;
      if (this.opts.duplicates && this.rng() < this.opts.duplicates) {
        records.push(r);
        this.summary.duplicates++;
      }
      if (this.opts.malformed && this.rng() < this.opts.malformed) {
        records.push(malformedRecord(this.rng, e.at).record);
        this.summary.malformed++;
      }
    }
    await this.opts.sink.send(records);
    this.summary.records += records.length;
    return due.length;
  }

  /**
   * Sends events as they fall due until the scheduler is exhausted, `deadline` (epoch ms) passes,
   * or `stop()` is called. Resolves with the summary.
   */
  async run(deadline = Number.POSITIVE_INFINITY): Promise<ProducerSummary> {
    const tick = this.opts.tickMs ?? 20;
    while (!this.stopped) {
      const now = Math.min(this.clock(), deadline);
      await this.step(now);
      const nextAt = this.opts.scheduler.peekAt();
      if (nextAt === undefined || now >= deadline) break;
      const waitMs = Math.min(Math.max(nextAt - this.clock(), tick), deadline - this.clock());
      if (waitMs > 0) await this.sleep(Math.min(waitMs, 1000));
    }
    return this.result();
  }

  /** Ends `run()` after the current step. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  result(): ProducerSummary {
    const seconds = (this.clock() - this.started) / 1000;
    return {
      ...this.summary,
      byType: { ...this.summary.byType },
      byOutcome: { ...this.summary.byOutcome },
      seconds: Number(seconds.toFixed(3)),
      eventsPerSecond: seconds > 0 ? Math.round(this.summary.events / seconds) : this.summary.events,
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
