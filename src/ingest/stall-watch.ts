/**
 * Honest readiness (docs/ingestion.md "Stalls and readiness"): every `tickMs` the watch checks the
 * source's progress with a `StallDetector` and keeps the reason `/readyz` gives while ingestion is
 * stalled, e.g.
 *
 *   ingestion stalled: intents.lifecycle/0 has not moved from offset 41 for 8s with 3 records
 *   waiting: could not write intents.lifecycle/0 offset 41 to the dead-letter topic "intents.dlq": ...
 *
 * It logs one line when ingestion stalls (error) and one when it moves again (info).
 * Timing: end offsets are polled every `tickMs` (the source's `endOffsetPollMs`) and a partition
 * counts as stalled once records waited at the same position for half of `stallReadyMs`, so the
 * node answers 503 at most `stallReadyMs` after it stopped making progress.
 */
import type { Logger } from '../log.js';
import type { EventSource } from './source.js';
import { StallDetector } from './stall-detector.js';

/** The check (and end-offset poll) period for `stallReadyMs`: a quarter of it, 50 ms to 5 s. */
export function stallTickMs(stallReadyMs: number): number {
  return Math.max(50, Math.min(5000, Math.floor(stallReadyMs / 4)));
}

export interface StallWatchOptions {
  readonly source: EventSource;
  readonly stallReadyMs: number;
  readonly logger: Logger;
  readonly clock?: () => number;
}

export class StallWatch {
  private readonly detector: StallDetector;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | null = null;
  private stalled: { reason: string; since: number } | null = null;

  constructor(private readonly opts: StallWatchOptions) {
    this.detector = new StallDetector(Math.floor(opts.stallReadyMs / 2));
    this.clock = opts.clock ?? Date.now;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.check(), stallTickMs(this.opts.stallReadyMs));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Why ingestion is stalled; null while it is not. */
  get reason(): string | null {
    return this.stalled?.reason ?? null;
  }

  check(): void {
    const now = this.clock();
    const stalls = this.detector.check(this.opts.source.progress().partitions, now);
    const first = stalls[0];
    if (first === undefined) {
      if (this.stalled !== null) {
        this.opts.logger.info({ stalledForMs: now - this.stalled.since }, 'ingestion moving again');
        this.stalled = null;
      }
      return;
    }
    const cause = this.opts.source.problem?.() ?? null;
    const more = stalls.length > 1 ? ` (and ${stalls.length - 1} more partitions)` : '';
    const reason =
      `ingestion stalled: ${first.topic}/${first.partition} has not moved from offset ${first.position} ` +
      `for ${Math.round(first.forMs / 1000)}s with ${first.waiting} records waiting${more}${cause === null ? '' : `: ${cause}`}`;
    if (this.stalled === null) {
      this.stalled = { reason, since: now - first.forMs };
      this.opts.logger.error({ topic: first.topic, partition: first.partition, offset: first.position, waiting: first.waiting }, reason);
    } else {
      this.stalled.reason = reason;
    }
  }
}
