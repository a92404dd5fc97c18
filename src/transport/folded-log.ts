/**
 * Log lines about clients, folded: a hostile client (or many) must not flood the operator's log.
 * The first line of a kind is written at once; more of the same kind within `intervalMs` are only
 * counted, and the next line written says how many were left out (in `countField`). Used for
 * refused connections (connection-limits.ts) and forced disconnects (flood-guard.ts,
 * protocol-errors.ts); docs/socket-io.md "Limits".
 */
import type { Logger } from '../log.js';

/** How long log lines of one kind are folded into one. */
export const FOLD_INTERVAL_MS = 10_000;

export class FoldedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    /** the field of a line that counts the lines of its kind left out since the last one */
    private readonly countField: string,
    private readonly intervalMs = FOLD_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A warn line of `kind` unless one was written within the interval (then only counted). */
  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    const last = this.last.get(kind);
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.suppressed++;
      return;
    }
    this.last.set(kind, { at: now, suppressed: 0 });
    this.logger.warn({ ...fields, [this.countField]: last?.suppressed ?? 0 }, message);
  }
}
