/**
 * The removed intents of the store (store.ts): one tombstone each (intentId → removedAt, in the
 * order they were made, tombstones.ts), and when each falls due for pruning. A tombstone is due
 * from its removal's housekeeping time (housekeeping.ts), which is removedAt unless the record's
 * timestamp bounded it lower; the few that differ are kept aside (`dueEarly`), so a tombstone
 * costs one table entry and nothing more.
 *
 * `prune(horizon)` drops the tombstones due before `horizon`, oldest first (amortised O(1) per
 * tombstone; nothing to do costs one comparison): the store passes the smaller of the two topics'
 * housekeeping times minus the retention (docs/reducer.md "Removal, tombstones and zombies").
 */
import { Tombstones } from './tombstones.js';

export class RemovedIntents {
  /** intentId → removedAt, in the order the tombstones were made */
  private readonly table = new Tombstones();
  /** intentId → the removal's housekeeping time, for the tombstones where it is before removedAt */
  private readonly dueEarly = new Map<string, number>();
  /** the due time of the oldest tombstone when last looked at; -Infinity: look again */
  private nextExpiry = Number.POSITIVE_INFINITY;

  get size(): number {
    return this.table.size;
  }

  /** The removedAt of the intent's tombstone, or undefined. */
  get(intentId: string): number | undefined {
    return this.table.size > 0 ? this.table.get(intentId) : undefined;
  }

  /** Makes the intent's tombstone the newest (a second removal moves it), due from min(dueFrom, removedAt). */
  bury(intentId: string, removedAt: number, dueFrom = removedAt): void {
    const due = Math.min(dueFrom, removedAt);
    if (this.table.size === 0) this.nextExpiry = due;
    else if (this.table.delete(intentId)) this.nextExpiry = Number.NEGATIVE_INFINITY;
    this.table.set(intentId, removedAt);
    if (due < removedAt) this.dueEarly.set(intentId, due);
    else this.dueEarly.delete(intentId);
  }

  /** The intent lives again: its tombstone goes. */
  revive(intentId: string): void {
    this.table.delete(intentId);
    this.dueEarly.delete(intentId);
    this.nextExpiry = Number.NEGATIVE_INFINITY;
  }

  /** Drops the tombstones due before `horizon`, oldest first. */
  prune(horizon: number): void {
    if (!(horizon > this.nextExpiry)) return;
    this.nextExpiry = Number.POSITIVE_INFINITY;
    for (const [id, removedAt] of this.table.entries()) {
      const due = this.dueEarly.size === 0 ? removedAt : (this.dueEarly.get(id) ?? removedAt);
      if (due >= horizon) {
        this.nextExpiry = due;
        break;
      }
      this.table.delete(id);
      if (this.dueEarly.size > 0) this.dueEarly.delete(id);
    }
  }

  /** The tombstones, oldest first, each with the time it is due from. */
  *entries(): IterableIterator<[intentId: string, removedAt: number, dueFrom: number]> {
    for (const [id, removedAt] of this.table.entries()) yield [id, removedAt, this.dueEarly.get(id) ?? removedAt];
  }
}
