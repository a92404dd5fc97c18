/**
 * The start-up timeline of this process: when each phase of a start was reached, in milliseconds
 * since the process started (`performance.now()` counts from the process's time origin). The
 * restore log line (src/service.ts) carries it, so a slow start shows where its time went
 * (docs/snapshots.md "Where a start spends its time"; bench/restart.ts prints it).
 *
 * Process-wide on purpose: the process has one start. Only the first mark of a phase counts.
 */
export type StartPhase =
  /** configuration parsed */
  | 'config'
  /** the broker answered (preflight) */
  | 'brokerConnected'
  /** the input topics' offsets are known */
  | 'offsets'
  /** the snapshot to load was chosen and its records read (or: none, full replay) */
  | 'snapshotRead'
  /** the snapshot decoded into the store */
  | 'decoded'
  /** the HTTP server listens */
  | 'listening'
  /** the first batch of input records arrived (the consumer joined and fetched) */
  | 'firstBatch'
  /** every input partition reached its end offset of the start */
  | 'caughtUp';

const marks = new Map<StartPhase, number>();

/** Records that `phase` was reached now (the first time only). */
export function markPhase(phase: StartPhase): void {
  if (!marks.has(phase)) marks.set(phase, Math.round(performance.now()));
}

/** Every phase reached so far → ms since the process started, in the order reached. */
export function startPhases(): Readonly<Partial<Record<StartPhase, number>>> {
  return Object.fromEntries(marks);
}

/** When this process started, epoch ms. */
export const processStartedAt = (): number => Math.round(performance.timeOrigin);
