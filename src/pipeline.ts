/**
 * The pipeline core: decoded records → reducer → diffs → emissions. Imperative shell around the
 * pure fold: it applies to a store it is given, reads the clock for emission timestamps, and hands
 * emissions to whatever delivers them (the Socket.IO transport, or a recorder in tests).
 * Until `markCaughtUp()`, nothing is emitted (no `intent:new` storm for history).
 * The work yields to the event loop every YIELD_AFTER_MS, so /healthz and /readyz answer during a
 * replay (docs/socket-io.md, "Limits"). The time counts across batches: the source hands over the
 * chunks of one fetch response one after the other without the event loop running in between.
 *
 * `runPipeline` runs a pipeline over an `EventSource`: the one loop the service, the `replay`
 * command and the test harnesses share.
 */
import type { InputTopics, TopicRole } from './config.js';
import { decodeRecord } from './ingest/decode.js';
import type { DeadLetterSink, EventSource, SourceBatch } from './ingest/source.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS, housekeepingTime } from './reduce/housekeeping.js';
import type { ProjectionStore } from './reduce/store.js';
import type { PositionedEmission } from './fanout/emissions.js';
import { Stream } from './fanout/stream.js';

/**
 * Longest stretch of work (of one or more batches) before the pipeline yields to the event loop. A
 * probe on a new connection needs several turns of the loop, each after one such stretch: 8 ms
 * keeps /healthz under 250 ms during a replay where 25 ms did not (BENCHMARKS.md section 9).
 */
export const YIELD_AFTER_MS = 8;

/**
 * The work done since the event loop last ran. Batches applied one after the other within one
 * microtask chain (the chunks of a fetch response) share a slice: `enter` starts a new one only
 * once the event loop has run since the last, and records are counted across batches.
 */
class Slice {
  private start = 0;
  private open = false;
  private records = 0;

  enter(): void {
    if (this.open) return;
    this.open = true;
    this.start = performance.now();
    setImmediate(() => {
      this.open = false;
    });
  }

  /** One more record: true once YIELD_AFTER_MS have passed (the clock is read every 256 records). */
  due(): boolean {
    return (++this.records & 255) === 0 && performance.now() - this.start >= YIELD_AFTER_MS;
  }

  /** Lets I/O (HTTP probes, sockets) in, then starts a new slice. */
  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.enter();
  }
}

export interface EmissionSink {
  deliver(emissions: readonly PositionedEmission[]): void;
  /** the mempool counts changed (coalesced by the sink) */
  statsChanged(): void;
  /** the replay is over: from now on every change is delivered */
  caughtUp(): void;
  /** a live batch was applied: the stream position moved (resumes waiting for it may go on) */
  advanced?(): void;
}

/** A sink that delivers nothing (the `replay` command). */
export const NO_EMISSIONS: EmissionSink = { deliver: () => undefined, statsChanged: () => undefined, caughtUp: () => undefined };

/** Records whose diffs the resume window keeps by default (config RESUME_WINDOW). */
export const DEFAULT_RESUME_WINDOW = 20_000;

export interface PipelineHooks {
  onApplied?(count: number): void;
  onDeadLetter?(reason: string, kind: string): void;
  /** an event dated more than `maxClockSkewMs` past its record timestamp (its housekeeping time is clamped) */
  onFutureDated?(topic: string): void;
}

export interface PipelineDeps {
  /** the projections the pipeline folds into (created first, read by the transport) */
  readonly store: ProjectionStore;
  readonly sink: EmissionSink;
  readonly dlq: DeadLetterSink;
  /** emission timestamps (default Date.now) */
  readonly clock?: () => number;
  readonly hooks?: PipelineHooks;
  /** the input topics: an event type on the other topic is dead-lettered (`wrong_topic`) */
  readonly topics?: InputTopics;
  /** how far past its record timestamp an event's housekeeping time may be (MAX_CLOCK_SKEW_MS) */
  readonly maxClockSkewMs?: number;
  /**
   * the offset vector, positions and resume window (docs/resume.md), created by the composition
   * root before the transport that reads it; by default one of DEFAULT_RESUME_WINDOW records
   */
  readonly stream?: Stream;
  /**
   * records the start-up replay still has to read (the source's progress); while it is more than
   * twice the window, replayed records are not kept (they would be evicted before the end)
   */
  readonly replayRemaining?: () => number;
}

export class Pipeline {
  readonly store: ProjectionStore;
  /** the offset vector, positions and resume window */
  readonly stream: Stream;
  private readonly sink: EmissionSink;
  private readonly dlq: DeadLetterSink;
  private readonly clock: () => number;
  private readonly hooks: PipelineHooks;
  private caughtUp = false;
  private recordsRead = 0;
  private deadLetters = 0;
  /** topic → role, when the pipeline was told its topics: a type on the wrong topic is dead-lettered */
  private readonly roles = new Map<string, TopicRole>();
  private readonly maxClockSkewMs: number;
  private readonly replayRemaining: (() => number) | undefined;
  private readonly windowSize: number;
  private readonly slice = new Slice();

  constructor(deps: PipelineDeps) {
    this.store = deps.store;
    this.sink = deps.sink;
    this.dlq = deps.dlq;
    this.clock = deps.clock ?? Date.now;
    this.hooks = deps.hooks ?? {};
    this.maxClockSkewMs = deps.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    this.stream = deps.stream ?? new Stream(deps.topics, DEFAULT_RESUME_WINDOW);
    this.windowSize = this.stream.window.capacity;
    this.replayRemaining = deps.replayRemaining;
    if (deps.topics !== undefined) {
      this.roles.set(deps.topics.lifecycle, 'lifecycle');
      this.roles.set(deps.topics.proofs, 'proofs');
    }
  }

  get isCaughtUp(): boolean {
    return this.caughtUp;
  }
  get records(): number {
    return this.recordsRead;
  }
  get deadLettered(): number {
    return this.deadLetters;
  }

  /** Applies a batch; resolves once its dead letters are written and its emissions delivered. */
  async applyBatch(batch: SourceBatch): Promise<void> {
    let applied = 0;
    let statsDirty = false;
    const live = this.caughtUp;
    const role = this.roles.get(batch.topic);
    const slot = this.stream.slot(batch.topic, batch.partition);
    // one emission time per batch while replaying (the window keeps it; nothing is sent)
    const replayTime = live ? 0 : this.clock();
    // a window of 0 keeps nothing (as if every record were evicted at once: the replay command's)
    const keep =
      this.windowSize > 0 &&
      (live || this.replayRemaining === undefined || this.replayRemaining() <= 2 * this.windowSize + batch.records.length);
    this.slice.enter();
    // A dead letter that cannot be written rejects: the records before it stay applied (and
    // counted), the partition waits at it (docs/ingestion.md "When the DLQ cannot be written").
    try {
      for (const record of batch.records) {
        // long work (the replay's) lets HTTP probes and sockets in every YIELD_AFTER_MS
        if (this.slice.due()) await this.slice.yield();
        const offset = Number(record.offset);
        const decoded = decodeRecord(record, role);
        if (!decoded.ok) {
          await this.dlq.write(record, decoded.reason);
          this.stream.advance(slot, offset);
          this.recordsRead++;
          this.deadLetters++;
          this.hooks.onDeadLetter?.(decoded.reason, decoded.kind);
          continue;
        }
        this.recordsRead++;
        const at = decoded.event.occurredAt;
        if (housekeepingTime(at, record.timestamp, this.maxClockSkewMs) < at) this.hooks.onFutureDated?.(record.topic);
        if (!live && !keep) {
          // the replay, far from its end: nothing is emitted or kept, so no diff is made
          const changed = this.store.fold(decoded.event, record.timestamp);
          this.stream.advance(slot, offset);
          if (changed) {
            applied++;
            this.stream.skip(slot, offset);
          }
          continue;
        }
        const diff = this.store.apply(decoded.event, record.timestamp);
        this.stream.advance(slot, offset);
        if (diff === null) continue;
        applied++;
        if (diff.kind !== 'updated' || diff.status !== null) statsDirty = true;
        const emissions = this.stream.record(slot, offset, diff, live ? this.clock() : replayTime, live, keep);
        if (emissions !== null) this.sink.deliver(emissions);
      }
    } finally {
      if (applied > 0) this.hooks.onApplied?.(applied);
      if (live) this.sink.advanced?.();
      // after catch-up only: while replaying, partitions can be far apart in event time
      if (live) this.store.pruneTombstones();
      if (statsDirty && live) this.sink.statsChanged();
    }
  }

  /** The replay is over: tells the sink (once) and delivers every change from now on. */
  markCaughtUp(): void {
    if (this.caughtUp) return;
    this.caughtUp = true;
    this.sink.statsChanged();
    this.sink.caughtUp();
  }
}

/** What the run of a pipeline tells its owner besides applying batches. */
export interface RunListeners {
  /** a batch arrived (before it is applied) */
  onBatch?(batch: SourceBatch): void;
  /** wraps the applying of every batch (the snapshots' consistent cut, src/snapshot/cut.ts) */
  wrapApply?(apply: (batch: SourceBatch) => Promise<void>): (batch: SourceBatch) => Promise<void>;
  /** every partition reached its start end offset; the pipeline was marked caught up */
  onCaughtUp?(): void;
  onConnectionChange?(connected: boolean): void;
  onFatal?(error: Error): void;
}

export interface PipelineRun {
  /** resolves when the pipeline caught up */
  readonly caughtUp: Promise<void>;
  /** never rejects; resolves with the error when ingestion stops for good */
  readonly fatal: Promise<Error>;
  /** Stops the source; resolves when no batch is in flight. Idempotent. */
  stop(): Promise<void>;
}

/** Starts `source` into `pipeline`; resolves once consumption has begun, rejects if the source cannot start. */
export async function runPipeline(pipeline: Pipeline, source: EventSource, listeners: RunListeners = {}): Promise<PipelineRun> {
  let resolveCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (resolveCaughtUp = resolve));
  let reportFatal!: (error: Error) => void;
  const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));
  const apply = (batch: SourceBatch): Promise<void> => {
    listeners.onBatch?.(batch);
    return pipeline.applyBatch(batch);
  };
  await source.start({
    onBatch: listeners.wrapApply?.(apply) ?? apply,
    onCaughtUp: () => {
      pipeline.markCaughtUp();
      listeners.onCaughtUp?.();
      resolveCaughtUp();
    },
    onConnectionChange: (connected) => listeners.onConnectionChange?.(connected),
    onFatal: (error) => {
      listeners.onFatal?.(error);
      reportFatal(error);
    },
  });
  let stopping: Promise<void> | null = null;
  return { caughtUp, fatal, stop: () => (stopping ??= source.stop()) };
}
