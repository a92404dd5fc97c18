/**
 * The fold over all intents: one record per live intent, one tombstone per removed one, and the
 * running stats. `apply(event)` is deterministic (no clock, I/O or randomness): the same events
 * in the same order always give the same projections and diffs. It is the only place state
 * changes.
 *
 * Representation (memory, see docs/reducer.md): live intents are `IntentRecord`s (record.ts)
 * in an id table (id-table.ts: the intentId kept as its 32 bytes, not as a string), updated in
 * place; readers get immutable `Projection` views (`get` keeps handing out the same view until
 * the intent changes). A tombstone is one entry of its own id table (tombstones.ts): intentId →
 * removedAt, nothing else, in the order the tombstones were made, so it is also the pruning queue
 * (removed.ts keeps them with the time each is due).
 *
 * `exportRecords()` / `ProjectionStore.fromRecords(records)` are the snapshot API
 * (src/snapshot/codec.ts; the shapes in fold-state.ts): the fold state as the store keeps it (its
 * own records, not copies: encode them before applying more events), and a store adopting such
 * records that folds on exactly as the original would. `exportImage()` is the same state as plain
 * data (views), for comparing two stores.
 *
 * `pruneTombstones()` drops the tombstones of removed intents that are older than
 * `tombstoneRetentionMs` in event time, oldest first. Event time here is the housekeeping clock
 * (housekeeping.ts: occurredAt clamped to the record timestamp + `maxClockSkewMs`), and the
 * *smaller* of the two topics' greatest one applied, so one topic running ahead or one
 * future-dated record cannot drop a tombstone the other topic's records still need. The pipeline calls it once per
 * batch after catch-up. Memory for removed intents is thus bounded by the removals within the
 * retention window.
 */
import type { IntentEvent } from '../contract/events.js';
import { eventKey } from './dedup.js';
import { DedupArena } from './dedup-arena.js';
import { type Diff, RemovedDiff } from './diff.js';
import { evolve } from './evolve.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS, housekeepingTime } from './housekeeping.js';
import { Interner } from './intern.js';
import { IdTable } from './id-table.js';
import { ListedIntent } from './listing.js';
import { packId, unpackId } from './pack.js';
import type { StoreImage, StoreRecords, TombstoneEntry } from './fold-state.js';
import type { IntentState, Projection } from './projection.js';
import { DIMENSION_MASK, detachSeen, IntentRecord, STATUS_SHIFT, viewOf } from './record.js';
import { RemovedIntents } from './removed.js';
import { COUNTER_OF, emptyStats, type MempoolStats } from './stats.js';
import { INTERNAL_STATUSES } from './status.js';

export interface StoreOptions {
  /** event time a tombstone is kept after the removal; Infinity keeps them all (default) */
  readonly tombstoneRetentionMs?: number;
  /** how far past its record timestamp an occurredAt may move the housekeeping clock (housekeeping.ts) */
  readonly maxClockSkewMs?: number;
}

/** the count of each internal status by its index (the status bits of a record, record.ts) */
const COUNTER_AT = INTERNAL_STATUSES.map((s) => COUNTER_OF[s]);

/** views handed out by `get` and not yet outdated; beyond this many the cache starts over */
const MAX_CACHED_VIEWS = 10_000;

export class ProjectionStore {
  /** intentId → record (id-table.ts: the id is kept as its 32 bytes, not as a string) */
  private readonly live = new IdTable<IntentRecord | null>(null);
  /** the tombstones of removed intents, in the order they were made, and when each is due (removed.ts) */
  private readonly removed = new RemovedIntents();
  private readonly views = new Map<string, Projection>();
  private readonly strings = new Interner();
  /** every live record's de-duplication entries (dedup-arena.ts) */
  private dedup = new DedupArena();
  private readonly counts: MempoolStats = emptyStats();
  private readonly retention: number;
  private readonly maxClockSkewMs: number;
  /** greatest housekeeping time (housekeeping.ts) applied, per topic family (intent.* / proof.*) */
  private lifecycleTime = Number.NEGATIVE_INFINITY;
  private proofTime = Number.NEGATIVE_INFINITY;
  private applied = 0;

  constructor(opts: StoreOptions = {}) {
    this.retention = opts.tombstoneRetentionMs ?? Number.POSITIVE_INFINITY;
    this.maxClockSkewMs = opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  }

  /** A store holding `records` (adopted, not copied); the running counts are recounted from them. */
  static fromRecords(records: StoreRecords, opts: StoreOptions = {}): ProjectionStore {
    const store = new ProjectionStore(opts);
    for (const s of records.interned ?? []) store.strings.intern(s);
    for (const c of records.commons ?? []) store.strings.adopt(c);
    store.dedup = records.dedup;
    for (const [id, r] of records.live) {
      const p = store.live.find(id);
      if (p < 0) store.live.add(id, r);
      else {
        // (a repeated id: the last record wins, in the first one's place, as a Map would keep it)
        const first = store.live.valueAt(p)!;
        store.counts[COUNTER_OF[first.status]]--;
        detachSeen(first, store.dedup);
        store.live.setValueAt(p, r);
      }
      store.counts[COUNTER_OF[r.status]]++;
    }
    store.counts.total = store.live.size;
    const { tombstoneIds: ids, tombstoneRemovedAt: removedAt, tombstoneDueFrom: dueFrom } = records;
    // (a repeated id keeps its last place, as a second removal does)
    for (let i = 0; i < ids.length; i++) store.removed.bury(unpackId(ids[i]!), removedAt[i]!, dueFrom[i]!);
    store.lifecycleTime = records.lifecycleTime;
    store.proofTime = records.proofTime;
    store.applied = records.eventsApplied;
    return store;
  }

  /** The fold state as the store keeps it (see `StoreRecords`; read it before the next `apply`). */
  exportRecords(): StoreRecords {
    const n = this.removed.size;
    const tombstoneIds = new Array<string>(n);
    const tombstoneRemovedAt = new Float64Array(n);
    const tombstoneDueFrom = new Float64Array(n);
    let i = 0;
    for (const [id, removedAt, dueFrom] of this.removed.entries()) {
      tombstoneIds[i] = packId(id);
      tombstoneRemovedAt[i] = removedAt;
      tombstoneDueFrom[i] = dueFrom;
      i++;
    }
    return {
      live: this.liveEntries(),
      liveCount: this.live.size,
      dedup: this.dedup,
      tombstoneIds,
      tombstoneRemovedAt,
      tombstoneDueFrom,
      lifecycleTime: this.lifecycleTime,
      proofTime: this.proofTime,
      eventsApplied: this.applied,
    };
  }

  /** The fold state as plain data (views; read it before the next `apply`). */
  exportImage(): StoreImage {
    const removed = [...this.removed.entries()].map(([intentId, removedAt, dueFrom]): TombstoneEntry => ({ intentId, removedAt, dueFrom }));
    const live = this.liveEntries();
    const views = this.views;
    const dedup = this.dedup;
    return {
      states: (function* (): Generator<readonly [string, IntentState]> {
        for (const [id, r] of live) yield [id, { kind: 'live', projection: views.get(id) ?? viewOf(id, r, dedup), removedAt: r.removedAt }];
        for (const t of removed) yield [t.intentId, { kind: 'removed', removedAt: t.removedAt }];
      })(),
      tombstoneQueue: removed,
      lifecycleTime: this.lifecycleTime,
      proofTime: this.proofTime,
      eventsApplied: this.applied,
    };
  }

  /**
   * Folds one event; returns what changed, or null when the event changed nothing.
   * `recordTimestamp` (the Kafka record's, epoch ms) bounds the event's housekeeping time.
   */
  apply(event: IntentEvent, recordTimestamp?: number): Diff | null {
    const d = this.step(event, recordTimestamp, true);
    return d === true ? null : d;
  }

  /**
   * `apply` without the diff: the same change of state (and of the running stats), and whether
   * there was one. For the replay, where nothing is emitted or kept (src/pipeline.ts): no diff
   * object per event.
   */
  fold(event: IntentEvent, recordTimestamp?: number): boolean {
    return this.step(event, recordTimestamp, false) !== null;
  }

  /** One event: the diff (`diffs`), or true for a change without one, or null for no change. */
  private step(event: IntentEvent, recordTimestamp: number | undefined, diffs: boolean): Diff | true | null {
    const id = event.intentId;
    const at = event.occurredAt;
    const kept = housekeepingTime(at, recordTimestamp, this.maxClockSkewMs);
    const pos = this.live.find(id);
    let diff: Diff | true | null = true;
    if (pos >= 0) {
      const r = this.live.valueAt(pos)!;
      const common = r.common; // (removedAt and dedupHorizon, record.ts)
      if (common.removedAt !== null && at <= common.removedAt) return null; // no zombies
      const statusBefore = (r.bits >>> STATUS_SHIFT) & DIMENSION_MASK;
      if (event.type === 'intent.removed') {
        // (a removal is never remembered: its redelivery is refused by the no-zombies check)
        this.live.deleteAt(pos);
        this.removed.bury(id, Math.max(at, common.removedAt ?? at), kept);
        this.counts[COUNTER_AT[statusBefore]!]--;
        this.counts.total--;
        detachSeen(r, this.dedup);
        if (diffs) diff = new RemovedDiff(id, r, this.dedup, at);
      } else {
        const key = eventKey(event.eventId);
        if (this.dedup.has(r.seen, key) || (common.dedupHorizon !== null && kept - r.t0 <= common.dedupHorizon)) return null; // duplicate
        diff = evolve(r, event, key, false, this.strings, this.dedup, kept, diffs) ?? true;
        const statusAfter = (r.bits >>> STATUS_SHIFT) & DIMENSION_MASK;
        if (statusAfter !== statusBefore) {
          this.counts[COUNTER_AT[statusBefore]!]--;
          this.counts[COUNTER_AT[statusAfter]!]++;
        }
      }
      if (this.views.size > 0) this.views.delete(id);
    } else {
      const removedAt = this.removed.get(id);
      if (removedAt !== undefined && at <= removedAt) return null; // no zombies
      if (event.type === 'intent.removed') {
        // a removal of an unknown intent (or a second one): a tombstone, nothing to announce
        this.removed.bury(id, Math.max(at, removedAt ?? at), kept);
        diff = null;
      } else {
        if (removedAt !== undefined) this.removed.revive(id);
        const fresh = new IntentRecord(at, removedAt ?? null);
        this.live.add(id, fresh);
        diff = evolve(fresh, event, eventKey(event.eventId), true, this.strings, this.dedup, kept, diffs) ?? true;
        this.counts[COUNTER_AT[(fresh.bits >>> STATUS_SHIFT) & DIMENSION_MASK]!]++;
        this.counts.total++;
      }
    }
    this.applied++;
    if (this.dedup.wasteful) this.compactDedup();
    if (event.type.charCodeAt(0) === 112 /* p: proof.* */) {
      if (kept > this.proofTime) this.proofTime = kept;
    } else if (kept > this.lifecycleTime) this.lifecycleTime = kept;
    return diff;
  }

  /** Moves the live records' de-duplication entries together (dedup-arena.ts `compact`): frees what removals and growth left. */
  private compactDedup(): void {
    const live = this.live;
    this.dedup.compact((move) => {
      for (const p of live.positions()) {
        const r = live.valueAt(p)!;
        r.seen = move(r.seen);
      }
    });
  }

  private *liveEntries(): Generator<readonly [string, IntentRecord]> {
    for (const p of this.live.positions()) yield [this.live.idAt(p), this.live.valueAt(p)!];
  }

  /**
   * Drops the tombstones that fell out of the retention window, oldest first (amortised O(1) per
   * tombstone; nothing to do costs one comparison). An intent alive again, or removed again
   * later, keeps its state.
   */
  pruneTombstones(): void {
    this.removed.prune(Math.min(this.lifecycleTime, this.proofTime) - this.retention);
  }

  /** Folds many events, calling `onDiff` for each change in order. */
  applyAll(events: Iterable<IntentEvent>, onDiff?: (diff: Diff) => void): void {
    for (const e of events) {
      const d = this.apply(e);
      if (d !== null && onDiff !== undefined) onDiff(d);
    }
  }

  /** The live projection of an intent; the same object until the intent changes. */
  get(intentId: string): Projection | undefined {
    const cached = this.views.get(intentId);
    if (cached !== undefined) return cached;
    const r = this.live.get(intentId);
    if (r === undefined || r === null) return undefined;
    if (this.views.size >= MAX_CACHED_VIEWS) this.views.clear();
    const view = viewOf(intentId, r, this.dedup);
    this.views.set(intentId, view);
    return view;
  }

  /**
   * Every live intent as a `ListedIntent` (listing.ts: fields read when asked, the full view on
   * demand), the newest created first; read it before the next `apply`. What a scan for the most
   * recently updated few reads: in this order most intents are older than the few kept, and are
   * passed over after one comparison (oldest first, nearly every one would be kept for a while).
   */
  *listing(): IterableIterator<ListedIntent> {
    const view = (intentId: string): Projection | undefined => this.get(intentId);
    for (const p of this.live.positionsNewestFirst()) yield new ListedIntent(this.live, p, this.live.valueAt(p)!, view);
  }

  *projections(): IterableIterator<Projection> {
    for (const [id, r] of this.liveEntries()) yield this.views.get(id) ?? viewOf(id, r, this.dedup);
  }

  /** The de-duplication arena's space (dedup-arena.ts `usage`): slots in use and free, chunks, bytes. */
  get dedupUsage(): DedupArena['usage'] {
    return this.dedup.usage;
  }

  /** Live projections. */
  get size(): number {
    return this.live.size;
  }

  /** Events that changed state (duplicates and zombie events excluded). */
  get eventsApplied(): number {
    return this.applied;
  }

  /** Removed intents remembered to refuse zombies (one small entry each). */
  get tombstones(): number {
    return this.removed.size;
  }

  /** A copy of the current counts. */
  stats(): MempoolStats {
    return { ...this.counts };
  }
}
