/**
 * The pipeline core: decoded records → reducer → diffs → emissions. Imperative shell around the
 * pure fold: it holds the store, reads the clock for emission timestamps, and hands emissions to
 * whatever delivers them (the Socket.IO transport, or a recorder in tests).
 * Until `markCaughtUp()`, nothing is emitted (no `intent:new` storm for history).
 * A batch yields to the event loop every YIELD_AFTER_MS of work, so /healthz and /readyz answer
 * during a replay (docs/socket-io.md, "Limits").
 */
import { decodeRecord, type TopicRole } from './ingest/decode.js';
import type { DeadLetterSink, SourceBatch } from './ingest/source.js';
import type { Diff } from './reduce/diff.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS, housekeepingTime } from './reduce/housekeeping.js';
import { ProjectionStore, type StoreOptions } from './reduce/store.js';
import { emissionsFor, type Emission } from './fanout/emissions.js';

/** Longest stretch of one batch's work before the pipeline yields to the event loop. */
export const YIELD_AFTER_MS = 25;

export interface EmissionSink {
  deliver(emissions: readonly Emission[]): void;
  /** the mempool counts changed (coalesced by the sink) */
  statsChanged(): void;
}

export interface PipelineOptions {
  /** the input topics: an event type on the other topic is dead-lettered (`wrong_topic`) */
  readonly topics?: { readonly lifecycle: string; readonly proofs: string };
  readonly store?: StoreOptions;
  /** fold on from this store (restored from a snapshot) instead of an empty one */
  readonly initialStore?: ProjectionStore;
}

export interface PipelineHooks {
  onApplied?(count: number): void;
  onDeadLetter?(reason: string, kind: string): void;
  onDiff?(diff: Diff): void;
  /** an event dated more than `maxClockSkewMs` past its record timestamp (its housekeeping time is clamped) */
  onFutureDated?(topic: string): void;
}

export class Pipeline {
  readonly store: ProjectionStore;
  private caughtUp = false;
  private recordsRead = 0;
  private deadLetters = 0;
  /** topic → role, when the pipeline was told its topics: a type on the wrong topic is dead-lettered */
  private readonly roles = new Map<string, TopicRole>();
  private readonly maxClockSkewMs: number;

  constructor(
    private readonly sink: EmissionSink,
    private readonly dlq: DeadLetterSink,
    private readonly clock: () => number = Date.now,
    private readonly hooks: PipelineHooks = {},
    opts: PipelineOptions = {},
  ) {
    this.store = opts.initialStore ?? new ProjectionStore(opts.store);
    this.maxClockSkewMs = opts.store?.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    if (opts.topics !== undefined) {
      this.roles.set(opts.topics.lifecycle, 'lifecycle');
      this.roles.set(opts.topics.proofs, 'proofs');
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
    let sliceStart = performance.now();
    // A dead letter that cannot be written rejects: the records before it stay applied (and
    // counted), the partition waits at it (docs/ingestion.md "When the DLQ cannot be written").
    try {
      for (const [i, record] of batch.records.entries()) {
        // a long batch (the replay's are) lets HTTP probes and sockets in every YIELD_AFTER_MS
        if ((i & 255) === 255 && performance.now() - sliceStart >= YIELD_AFTER_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
        const decoded = decodeRecord(record, role);
        if (!decoded.ok) {
          await this.dlq.write(record, decoded.reason);
          this.recordsRead++;
          this.deadLetters++;
          this.hooks.onDeadLetter?.(decoded.reason, decoded.kind);
          continue;
        }
        this.recordsRead++;
        const at = decoded.event.occurredAt;
        if (housekeepingTime(at, record.timestamp, this.maxClockSkewMs) < at) this.hooks.onFutureDated?.(record.topic);
        const diff = this.store.apply(decoded.event, record.timestamp);
        if (diff === null) continue;
        applied++;
        this.hooks.onDiff?.(diff);
        if (diff.kind !== 'updated' || diff.status !== null) statsDirty = true;
        if (live) this.sink.deliver(emissionsFor(diff, this.clock()));
      }
    } finally {
      if (applied > 0) this.hooks.onApplied?.(applied);
      // after catch-up only: while replaying, partitions can be far apart in event time
      if (live) this.store.pruneTombstones();
      if (statsDirty && live) this.sink.statsChanged();
    }
  }

  markCaughtUp(): void {
    if (this.caughtUp) return;
    this.caughtUp = true;
    this.sink.statsChanged();
  }
}
