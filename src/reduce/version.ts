/**
 * The version of the folding rules (`evolve.ts`, `dedup.ts`, `store.ts`). A snapshot records the
 * version that built it (src/snapshot/codec.ts) and a node with another version skips it and
 * replays instead: a state folded by other rules is not this reducer's state.
 *
 * Bump it whenever the same events could fold into a different state: a rule, a rank, a
 * de-duplication detail, a default.
 */
export const REDUCER_VERSION = 4;
