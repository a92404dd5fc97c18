/**
 * `mempool:stats` to the all-intents room, coalesced: at most one broadcast per
 * STATS_INTERVAL_MS, and only when the counts differ from the last broadcast.
 *
 * The first change after a quiet period is sent at once; changes within the interval after a
 * broadcast are folded into one broadcast at the end of the interval (trailing edge), carrying
 * the counts of that moment. The timer is unref'd so it never keeps the process alive.
 */
import type { MempoolStatsPayload } from '../contract/socket.js';
import { monotonicMs } from './rate-limit.js';

export interface StatsBroadcasterOptions {
  readonly intervalMs: number;
  /** current counts */
  readonly read: () => MempoolStatsPayload;
  /** sends the counts to the all-intents room */
  readonly send: (stats: MempoolStatsPayload) => void;
  readonly now?: () => number;
}

export class StatsBroadcaster {
  private timer: NodeJS.Timeout | null = null;
  private lastSent: MempoolStatsPayload | null = null;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly opts: StatsBroadcasterOptions) {
    this.now = opts.now ?? monotonicMs;
  }

  /** The counts may have changed. */
  changed(): void {
    if (this.closed || this.timer !== null) return;
    const wait = this.lastSentAt + this.opts.intervalMs - this.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): void {
    if (this.closed) return;
    const stats = this.opts.read();
    if (this.lastSent !== null && sameCounts(this.lastSent, stats)) return;
    this.lastSent = stats;
    this.lastSentAt = this.now();
    this.opts.send(stats);
  }
}

export function sameCounts(a: MempoolStatsPayload, b: MempoolStatsPayload): boolean {
  return (
    a.total === b.total &&
    a.submitted === b.submitted &&
    a.matched === b.matched &&
    a.executing === b.executing &&
    a.completed === b.completed &&
    a.failed === b.failed &&
    a.cancelled === b.cancelled
  );
}
