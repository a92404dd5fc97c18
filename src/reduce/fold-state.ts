/**
 * The fold state as data (store.ts): what `ProjectionStore` exports and adopts, for the snapshot
 * codec (src/snapshot/codec.ts) and for comparing two stores (`exportImage`).
 */
import type { DedupArena } from './dedup-arena.js';
import type { IntentState } from './projection.js';
import type { Common, IntentRecord } from './record.js';

/** Everything the fold carries from one event to the next (the running counts are derived). */
export interface StoreImage {
  /** live projections and tombstones, one entry per intentId */
  readonly states: Iterable<readonly [string, IntentState]>;
  /** tombstones not yet pruned, oldest first */
  readonly tombstoneQueue: Iterable<TombstoneEntry>;
  readonly lifecycleTime: number;
  readonly proofTime: number;
  readonly eventsApplied: number;
}

/**
 * The fold state as the store keeps it, for the snapshot codec (src/snapshot/codec.ts): the live
 * records themselves and the tombstones in their pruning order. `exportRecords()` hands out the
 * store's own records (read them before the next `apply`, never change them);
 * `ProjectionStore.fromRecords` adopts the records it is given. No per-intent conversion either way.
 */
export interface StoreRecords {
  /** intentId and record of every live intent */
  readonly live: Iterable<readonly [string, IntentRecord]>;
  /** the arena the records' de-duplication handles (`IntentRecord.seen`) refer to; adopted too */
  readonly dedup: DedupArena;
  readonly liveCount: number;
  /** packed intentIds (pack.ts `packId`), oldest tombstone first */
  readonly tombstoneIds: readonly string[];
  readonly tombstoneRemovedAt: ArrayLike<number>;
  /** the removals' housekeeping times (the window is measured from them), see `TombstoneEntry.dueFrom` */
  readonly tombstoneDueFrom: ArrayLike<number>;
  readonly lifecycleTime: number;
  readonly proofTime: number;
  readonly eventsApplied: number;
  /** strings the records share (solvers, error texts): the new store's interning table starts with them */
  readonly interned?: Iterable<string>;
  /** the records' shared values (record.ts `Common`), frozen: the new store shares them on */
  readonly commons?: Iterable<Common>;
}

/** A tombstone as plain data (the store's image and snapshot records). */
export interface TombstoneEntry {
  readonly intentId: string;
  /** the tombstone's removedAt (it is dropped only if still the intent's state) */
  readonly removedAt: number;
  /** the removal's housekeeping time (housekeeping.ts), the window is measured from it; default removedAt */
  readonly dueFrom?: number;
}
