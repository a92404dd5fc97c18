/**
 * Scans over every live intent (`GET /intents`, the snapshot of `subscribe:intents`;
 * src/fanout/list.ts) run one per turn of the event loop. Each one is atomic, so a list and its
 * position reflect one state of the store; but scans that arrive together (every browser reloading
 * its first screen after a node restart) no longer hold everything else for all of them in a row:
 * between two scans the event loop runs (`setImmediate`), so probes, socket reads and the pipeline
 * wait at most one scan (docs/socket-io.md "The first screen").
 *
 * A queued scan whose requester is gone by its turn (`cancelled()`) is skipped, not run.
 */
export interface QueuedScan {
  run(): void;
  cancelled(): boolean;
  /** told when the scan was skipped (cancelled by its turn) */
  skipped?(): void;
}

export class ScanTurns {
  private readonly queue: QueuedScan[] = [];
  private scheduled = false;
  private ran = 0;

  /** Scans run so far (for tests and metrics). */
  get scans(): number {
    return this.ran;
  }

  /** Scans waiting for their turn. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `scan` in a later turn of the event loop, one scan per turn. */
  enqueue(scan: QueuedScan): void {
    this.queue.push(scan);
    this.schedule();
  }

  /** `enqueue` for a scan with a result: resolves with it (rejects with what it throws), or with undefined when skipped. */
  run<T>(scan: () => T, cancelled: () => boolean = () => false): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.enqueue({
        cancelled,
        skipped: () => resolve(undefined),
        run: () => {
          try {
            resolve(scan());
          } catch (err) {
            reject(err);
          }
        },
      });
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // the first scan still wanted; the ones given up before it are dropped
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        if (next.cancelled()) {
          next.skipped?.();
          continue;
        }
        this.ran++;
        next.run();
        break;
      }
      this.schedule();
    });
  }
}
