/**
 * Shared copies of strings that repeat across intents (solvers, error texts and failure
 * reasons), and of the records' common values (record.ts `Common`: solver, chains, error and
 * failure reason in one object): every projection holding the same value holds one string
 * instead of a fresh copy decoded from its own record (~56 bytes for a 42-character address),
 * and one pointer to a shared object instead of five fields. Both tables are bounded
 * (`MAX_INTERNED` distinct values each, then new values are kept as they are, unshared), so input
 * with ever-new values cannot grow them without limit. Sharing is invisible to the fold: strings
 * compare by value, and a record's common values are replaced, never changed in place.
 */
import { type Common, commonOf, isOwn } from './record.js';

export const MAX_INTERNED = 16_384;
/** longer strings are rarely repeated and not worth a table entry */
const MAX_LENGTH = 256;

const isLong = (s: string | null): boolean => s !== null && s.length > MAX_LENGTH;

/** solver → fromChain → toChain → error → failureReason → the shared `Common` */
type Level<K, V> = Map<K, V>;
type Commons = Level<string | null, Level<number | null, Level<number | null, Level<string | null, Level<string | null, Common>>>>>;

function below<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

export class Interner {
  private readonly table = new Map<string, string>();
  /** the records' shared values (record.ts `Common`), bounded as the strings are */
  private readonly commons: Commons = new Map();
  private commonCount = 0;

  intern(s: string): string {
    if (s.length > MAX_LENGTH) return s;
    const hit = this.table.get(s);
    if (hit !== undefined) return hit;
    if (this.table.size < MAX_INTERNED) this.table.set(s, s);
    return s;
  }

  /**
   * The record's common values `base` with these values instead (record.ts `Common`): the shared
   * copy of them (the same object for the same values; nested maps, no key string is made), or
   * when `base` is a record's own copy (`isOwn`), a new own copy.
   */
  common(
    base: Common,
    solver: string | null,
    fromChain: number | null,
    toChain: number | null,
    error: string | null,
    failureReason: string | null,
  ): Common {
    if (isOwn(base)) return commonOf(solver, fromChain, toChain, error, failureReason, base.removedAt, base.dedupHorizon);
    return (
      this.find(solver, fromChain, toChain, error, failureReason) ??
      this.keep(Object.freeze(commonOf(solver, fromChain, toChain, error, failureReason)))
    );
  }

  /** Shares `c` (frozen, not a record's own) from now on, unless values like its are shared already or the table is full. */
  adopt(c: Common): void {
    if (this.find(c.solver, c.fromChain, c.toChain, c.error, c.failureReason) === undefined) this.keep(c);
  }

  private find(
    solver: string | null,
    fromChain: number | null,
    toChain: number | null,
    error: string | null,
    reason: string | null,
  ): Common | undefined {
    return this.commons.get(solver)?.get(fromChain)?.get(toChain)?.get(error)?.get(reason);
  }

  private keep(c: Common): Common {
    if (this.commonCount >= MAX_INTERNED || isLong(c.solver) || isLong(c.error) || isLong(c.failureReason)) return c;
    const byFrom = below(this.commons, c.solver, () => new Map());
    const byTo = below(byFrom, c.fromChain, () => new Map());
    const byError = below(byTo, c.toChain, () => new Map());
    below(byError, c.error, () => new Map()).set(c.failureReason, c);
    this.commonCount++;
    return c;
  }

  get size(): number {
    return this.table.size;
  }
}
