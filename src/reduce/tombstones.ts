/**
 * The tombstones of removed intents (store.ts): packed intentId (pack.ts `packId`) → removedAt,
 * in the order they were made, which is also the pruning queue.
 *
 * Memory (docs/reducer.md "Memory per projection"): a removal time as such is an epoch-millisecond
 * number, which V8 keeps in a `Map` as a 16-byte heap number. Here it is kept relative to `epoch`
 * (the removal time of the first tombstone since the map was last empty): within ±2^30 ms
 * (~12 days) of it, an integer time is a small integer the `Map` holds inline. Any other time (far
 * from the epoch, or not an integer) is kept boxed, exactly as given.
 */
const SMALL = 2 ** 30;

interface Far {
  readonly at: number;
}

export class Tombstones {
  private readonly map = new Map<string, number | Far>();
  private epoch = 0;

  get size(): number {
    return this.map.size;
  }

  get(packed: string): number | undefined {
    const v = this.map.get(packed);
    return v === undefined ? undefined : this.absolute(v);
  }

  /** Adds a tombstone as the newest (a present one keeps its place: `delete` it first to move it). */
  set(packed: string, removedAt: number): void {
    if (this.map.size === 0) this.epoch = Number.isSafeInteger(removedAt) ? removedAt : 0;
    const rel = removedAt - this.epoch;
    this.map.set(packed, Number.isSafeInteger(removedAt) && rel < SMALL && rel > -SMALL ? rel : { at: removedAt });
  }

  delete(packed: string): boolean {
    return this.map.delete(packed);
  }

  /** packed intentId → removedAt, oldest first. */
  *entries(): IterableIterator<[string, number]> {
    for (const [packed, v] of this.map) yield [packed, this.absolute(v)];
  }

  private absolute(v: number | Far): number {
    return typeof v === 'number' ? v + this.epoch : v.at;
  }
}
