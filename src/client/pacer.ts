/**
 * The client's own pace for its messages to the server (src/client/index.ts): the server drops a
 * socket's events over RATE_LIMIT_PER_SECOND unread, with no acknowledgement (docs/socket-io.md
 * "Guards and errors"), so a client resubscribing many subscriptions after a reconnect sends
 * them at most `perSecond` a second (a token bucket with a burst of `perSecond`), in order.
 */
export class Pacer {
  private readonly queue: (() => void)[] = [];
  private tokens: number;
  private last = Date.now();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  send(fn: () => void): void {
    this.queue.push(fn);
    this.pump();
  }

  /** The connection went away: what waits was for it. */
  clear(): void {
    this.queue.length = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private pump(): void {
    const now = Date.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    while (this.queue.length > 0 && this.tokens >= 1) {
      this.tokens--;
      this.queue.shift()?.();
    }
    if (this.queue.length > 0 && this.timer === null) {
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.pump();
        },
        Math.ceil(((1 - this.tokens) * 1000) / this.perSecond),
      );
    }
  }
}
