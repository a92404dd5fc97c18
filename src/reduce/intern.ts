/**
 * Shared copies of strings that repeat across intents (solvers, verifiers, error texts and
 * failure reasons): every projection holding the same value holds one string instead of a fresh
 * copy decoded from its own record (~56 bytes for a 42-character address). The table is bounded
 * (`MAX_INTERNED` distinct values, then new values are kept as they are), so input with ever-new
 * values cannot grow it without limit. Sharing is invisible to the fold: strings compare by value.
 */
export const MAX_INTERNED = 16_384;
/** longer strings are rarely repeated and not worth a table entry */
const MAX_LENGTH = 256;

export class Interner {
  private readonly table = new Map<string, string>();

  intern(s: string): string {
    if (s.length > MAX_LENGTH) return s;
    const hit = this.table.get(s);
    if (hit !== undefined) return hit;
    if (this.table.size < MAX_INTERNED) this.table.set(s, s);
    return s;
  }

  get size(): number {
    return this.table.size;
  }
}
