/**
 * Per-socket rate limit on client events: a token bucket refilled continuously at `perSecond`
 * tokens per second, holding at most `burst` tokens (config: burst = 2 x RATE_LIMIT_PER_SECOND).
 * A full bucket lets a client send `burst` events at once; after that, `perSecond` per second.
 * The time source is injected (monotonic milliseconds) so the bucket is testable without sleeping.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = monotonicMs,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty (the event must not be processed). */
  take(): boolean {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export function monotonicMs(): number {
  return performance.now();
}
