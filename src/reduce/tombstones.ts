/**
 * The tombstones of removed intents (store.ts): intentId → removedAt, in the order they were
 * made, which is also the pruning queue. An `IdTable` (id-table.ts) of numbers: the 32 bytes of
 * the id, the removal time as an unboxed float64 (exact, whatever its value) and ~7-13 bytes of
 * index per tombstone, instead of a `Map` entry and a key string (docs/reducer.md "Memory per
 * projection").
 */
import { IdTable } from './id-table.js';

export class Tombstones {
  private readonly table: IdTable<number>;

  /** `chunkBits`, `indexBits`: see IdTable (small ones for tests) */
  constructor(chunkBits?: number, indexBits?: number) {
    this.table = new IdTable<number>(0, chunkBits, indexBits);
  }

  get size(): number {
    return this.table.size;
  }

  get(intentId: string): number | undefined {
    return this.table.get(intentId);
  }

  /** Adds a tombstone as the newest (a present one keeps its place: `delete` it first to move it). */
  set(intentId: string, removedAt: number): void {
    const p = this.table.find(intentId);
    if (p >= 0) this.table.setValueAt(p, removedAt);
    else this.table.add(intentId, removedAt);
  }

  delete(intentId: string): boolean {
    return this.table.delete(intentId);
  }

  /** intentId → removedAt, oldest first. Deleting entries meanwhile is fine, `set` is not. */
  *entries(): IterableIterator<[string, number]> {
    for (const p of this.table.positions()) yield [this.table.idAt(p), this.table.valueAt(p)];
  }
}
