/**
 * `store.listing()` (src/reduce/listing.ts), what `GET /intents` and the filter snapshots scan:
 * every live intent, the newest created first; each listed intent reads as its projection does (every field a list or filter looks at, and
 * the full view), and the prepared matchers of src/fanout/list.ts decide as the projection-based
 * tests do (filters.ts `matchesFilter`, the query on the projection's fields).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IntentEvent } from '../../src/contract/events.js';
import { matchesFilter } from '../../src/fanout/filters.js';
import { filterMatcher, listIntents, queryMatcher } from '../../src/fanout/list.js';
import { frontendStatus } from '../../src/reduce/status.js';
import { ProjectionStore } from '../../src/reduce/store.js';
import { anyWireEventArb, decodeAll, historyArb, interleavingArb } from '../support/histories.js';

const realistic: fc.Arbitrary<IntentEvent[]> = historyArb({ maxIntents: 12, truncateRate: 0.15, mixedCaseIds: true })
  .map((h) => ({ lifecycle: decodeAll(h.lifecycle), proof: decodeAll(h.proof) }))
  .chain((h) => interleavingArb(h.lifecycle, h.proof));
const arbitrary: fc.Arbitrary<IntentEvent[]> = fc
  .array(anyWireEventArb({ intents: 3, eventIds: 40, seconds: 20 }), { maxLength: 80 })
  .map((wire) => decodeAll(wire));

const FIELDS = ['intentId', 'updatedAt', 'status', 'proofStatus', 'htlcState', 'user', 'solver', 'fromChain', 'toChain'] as const;

function check(events: readonly IntentEvent[]): void {
  const store = new ProjectionStore();
  for (const e of events) store.apply(e);
  const listed = [...store.listing()];
  // (listed newest created first; projections oldest first)
  const projections = [...store.projections()].reverse();
  expect(listed.map((l) => l.intentId)).toEqual(projections.map((p) => p.intentId));
  for (const [i, l] of listed.entries()) {
    const p = projections[i]!;
    for (const f of FIELDS) expect(l[f]).toEqual(p[f]);
    expect(l.projection()).toEqual(p);
    // every filter and query made of values that occur (and one that does not)
    for (const user of [p.user, '0xnobody']) {
      for (const solver of [undefined, p.solver]) {
        for (const fromChain of [undefined, p.fromChain, 999]) {
          const filter = {
            ...(user === null ? {} : { user }),
            ...(solver === undefined || solver === null ? {} : { solver }),
            ...(fromChain === undefined || fromChain === null ? {} : { fromChain }),
          };
          expect(filterMatcher(filter)(l)).toBe(matchesFilter(filter, p));
          const status = frontendStatus(p.status, p.proofStatus, p.htlcState);
          const query = { ...filter, status, proofStatus: p.proofStatus };
          const direct =
            matchesFilter(filter, p) &&
            frontendStatus(p.status, p.proofStatus, p.htlcState) === status &&
            p.proofStatus === query.proofStatus;
          expect(queryMatcher(query)(l)).toBe(direct);
        }
      }
    }
  }
  // a page over listed intents is the page the projections give
  const page = listIntents(store.listing(), { limit: 3 }, 1, 'AQ');
  const byProjection = [...projections].sort((a, b) => b.updatedAt - a.updatedAt || (a.intentId < b.intentId ? 1 : -1)).slice(0, 3);
  expect(page.ok && page.body.intents.map((x) => x.intentId)).toEqual(byProjection.map((p) => p.intentId));
}

describe('store.listing()', () => {
  it('reads as the projections, and the prepared matchers decide as matchesFilter (realistic histories)', () => {
    fc.assert(fc.property(realistic, check), { numRuns: 80 });
  });
  it('the same for arbitrary events (removals, revivals, odd ids)', () => {
    fc.assert(fc.property(arbitrary, check), { numRuns: 80 });
  });
});
