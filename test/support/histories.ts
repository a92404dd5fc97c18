/**
 * Realistic intent histories, in wire form (what a producer writes to Kafka), for property tests,
 * benchmarks and the simulator. Everything here is pure: randomness comes from a seeded PRNG
 * (`createRng(seed)`), so the same options always give the same records.
 *
 *   generateHistory({ intents: 1000, seed: 42 })      → { lifecycle, proof, intentIds }
 *   generateIntentHistory(rng, intentId, startAt, o)   → one intent's events on both topics
 *   wireEvent('intent.matched', { intentId, at, data: { solver } })
 *   decodeEvent(wire)                                  → the typed event the reducer folds
 *
 * fast-check arbitraries (for tests) are at the bottom: `historyArb`, `interleavingArb`,
 * `redeliveriesArb`, `chunkedArb`, `anyWireEventArb`.
 *
 * A generated intent follows the protocol: submitted → proofs requested/generating/generated/
 * verified → matched (sometimes re-matched) → source lock requested → source locked → destination
 * locked → destination withdrawn → completed → settlement proof; with configurable rates of proof
 * failures, failures, cancellations, HTLC refunds (both sides), removals (always the intent's last
 * fact, later than every other event of it) and truncated lifecycles (a retention cut: the first
 * lifecycle records are gone, so the history starts after `intent.submitted`).
 * Within one intent, occurredAt strictly increases across both topics; each topic is ordered by
 * occurredAt, as a producer would write it.
 */
import fc from 'fast-check';
import { EVENT_TYPES, intentEventSchema, type EventType, type IntentEvent, type IntentEventInput } from '../../src/contract/events.js';

// ---------------------------------------------------------------------------------------------
// Seeded PRNG

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [min, max] */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  hex(digits: number): string;
}

/** mulberry32: small, fast, good enough for test data. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      const item = items[int(0, items.length - 1)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    hex: (digits) => {
      let s = '';
      for (let i = 0; i < digits; i++) s += '0123456789abcdef'[int(0, 15)];
      return s;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Wire events

export type WireOf<T extends EventType> = Extract<IntentEventInput, { type: T }>;
export type DataOf<T extends EventType> = WireOf<T>['data'];

export interface WireEventOptions<T extends EventType> {
  intentId: string;
  /** occurredAt, epoch milliseconds */
  at: number;
  data?: DataOf<T>;
  eventId?: string;
}

let autoId = 0;

/** One event in canonical wire form (ISO `occurredAt`). `eventId` defaults to a unique one. */
export function wireEvent<T extends EventType>(type: T, o: WireEventOptions<T>): WireOf<T> {
  const base = {
    eventId: o.eventId ?? `evt-${++autoId}`,
    type,
    intentId: o.intentId,
    occurredAt: new Date(o.at).toISOString(),
  };
  return (o.data === undefined ? base : { ...base, data: o.data }) as WireOf<T>;
}

/** Wire → the typed event the reducer folds (throws on an invalid event: test data must be valid). */
export function decodeEvent(input: IntentEventInput): IntentEvent {
  return intentEventSchema.parse(input);
}

export function decodeAll(inputs: readonly IntentEventInput[]): IntentEvent[] {
  return inputs.map(decodeEvent);
}

export function uuid(rng: Rng): string {
  return `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${rng.pick(['8', '9', 'a', 'b'])}${rng.hex(3)}-${rng.hex(12)}`;
}

export function randomIntentId(rng: Rng): string {
  return `0x${rng.hex(64)}`;
}

const txHash = (rng: Rng): string => `0x${rng.hex(64)}`;
const address = (rng: Rng): string => `0x${rng.hex(40)}`;
const CHAINS = [1, 10, 56, 137, 8453, 42161, 43114] as const;

// ---------------------------------------------------------------------------------------------
// Histories

export interface HistoryOptions {
  intents: number;
  seed: number;
  /** occurredAt of the first submission, epoch ms (default 2026-11-27T10:00:00.000Z) */
  startAt?: number;
  /** mean gap between two submissions, ms (default 1000) */
  spacingMs?: number;
  /** proofs fail to verify, the intent then fails (default 0.05) */
  proofFailureRate?: number;
  /** the intent fails after matching or locking (default 0.08) */
  failureRate?: number;
  /** the user cancels before the source lock (default 0.05) */
  cancelRate?: number;
  /** the HTLCs time out and both sides refund (default 0.05) */
  refundRate?: number;
  /** a second `intent.matched` with another solver (default 0.05) */
  rematchRate?: number;
  /** `intent.removed` as the intent's last fact (default 0.1) */
  removeRate?: number;
  /** the lifecycle history lost its first records, e.g. `intent.submitted` (default 0) */
  truncateRate?: number;
  /** intentIds written in mixed case, differently per event (default false) */
  mixedCaseIds?: boolean;
}

export interface GeneratedHistory {
  /** `intents.lifecycle` records in production order */
  lifecycle: IntentEventInput[];
  /** `intents.proofs` records in production order */
  proof: IntentEventInput[];
  /** lower-cased intent ids, in submission order */
  intentIds: string[];
}

export interface IntentHistory {
  lifecycle: IntentEventInput[];
  proof: IntentEventInput[];
}

type Defaults = Required<Omit<HistoryOptions, 'intents' | 'seed' | 'startAt' | 'spacingMs'>>;

const DEFAULTS: Defaults = {
  proofFailureRate: 0.05,
  failureRate: 0.08,
  cancelRate: 0.05,
  refundRate: 0.05,
  rematchRate: 0.05,
  removeRate: 0.1,
  truncateRate: 0,
  mixedCaseIds: false,
};

export const DEFAULT_START = Date.parse('2026-11-27T10:00:00.000Z');

function mixCase(rng: Rng, id: string): string {
  let s = '0x';
  for (let i = 2; i < id.length; i++) {
    const c = id[i] as string;
    s += rng.chance(0.5) ? c.toUpperCase() : c;
  }
  return s;
}

/** One intent's events on both topics, occurredAt strictly increasing from `startAt`. */
export function generateIntentHistory(rng: Rng, intentId: string, startAt: number, options: Partial<Defaults> = {}): IntentHistory {
  const o: Defaults = { ...DEFAULTS, ...options };
  const lifecycle: IntentEventInput[] = [];
  const proof: IntentEventInput[] = [];
  let t = startAt;
  const step = (): number => (t += rng.int(50, 4000));
  const id = (): string => (o.mixedCaseIds ? mixCase(rng, intentId) : intentId);
  const emit = <T extends EventType>(to: IntentEventInput[], type: T, data?: DataOf<T>): void => {
    to.push(wireEvent(type, { intentId: id(), at: step(), eventId: uuid(rng), data }));
  };
  const L = <T extends `intent.${string}` & EventType>(type: T, data?: DataOf<T>): void => emit(lifecycle, type, data);
  const P = <T extends `proof.${string}` & EventType>(type: T, data?: DataOf<T>): void => emit(proof, type, data);

  const fromChain = rng.pick(CHAINS);
  const toChain = rng.pick(CHAINS.filter((c) => c !== fromChain));
  L('intent.submitted', {
    fromChain,
    toChain,
    amount: rng.chance(0.5) ? String(rng.int(1, 10_000_000)) : `${rng.int(0, 999)}.${rng.int(1, 999_999)}`,
    user: address(rng),
    deadline: Math.floor(startAt / 1000) + 3600,
  });

  run: {
    P('proof.requested');
    P('proof.generating');
    P('proof.generated', rng.chance(0.5) ? { proofGeneratedAt: new Date(t + 1).toISOString() } : undefined);
    if (rng.chance(o.proofFailureRate)) {
      P('proof.failed', { error: 'verifier rejected the proof' });
      L('intent.failed', { error: 'proof verification failed', failureReason: 'PROOF_INVALID' });
      break run;
    }
    P('proof.verified');
    if (rng.chance(o.cancelRate / 2)) {
      L('intent.cancelled', rng.chance(0.5) ? { reason: 'user cancelled' } : undefined);
      break run;
    }
    L('intent.matched', { solver: address(rng) });
    if (rng.chance(o.rematchRate)) L('intent.matched', { solver: address(rng) });
    if (rng.chance(o.cancelRate / 2)) {
      L('intent.cancelled', { reason: 'solver timeout' });
      break run;
    }
    L('intent.source_lock_requested');
    const r = rng.next();
    if (r < o.failureRate / 2) {
      L('intent.failed', { error: 'source lock reverted', failureReason: 'SOURCE_LOCK_FAILED' });
      break run;
    }
    L('intent.source_locked', { txHash: txHash(rng) });
    if (r < o.failureRate / 2 + o.refundRate) {
      const destinationLocked = rng.chance(0.5);
      if (destinationLocked) L('intent.destination_locked', { txHash: txHash(rng) });
      if (destinationLocked) L('intent.refunded', { side: 'destination', txHash: txHash(rng) });
      L('intent.refunded', { side: 'source', txHash: txHash(rng) });
      L('intent.failed', { error: 'HTLC timelock expired', failureReason: 'HTLC_TIMEOUT' });
      break run;
    }
    L('intent.destination_locked', { txHash: txHash(rng) });
    if (r < o.failureRate + o.refundRate) {
      L('intent.failed', { error: 'destination withdraw reverted', failureReason: 'DESTINATION_WITHDRAW_FAILED' });
      break run;
    }
    L('intent.destination_withdrawn', { txHash: txHash(rng) });
    L('intent.completed', rng.chance(0.9) ? { txHash: txHash(rng) } : undefined);
    if (rng.chance(0.8)) {
      P('proof.settlement_generated', { proof: `0x${rng.hex(128)}`, ...(rng.chance(0.5) ? { verifier: address(rng) } : {}) });
    }
  }

  if (o.truncateRate > 0 && lifecycle.length > 1 && rng.chance(o.truncateRate)) {
    lifecycle.splice(0, rng.int(1, lifecycle.length - 1));
  }
  if (rng.chance(o.removeRate)) L('intent.removed', rng.chance(0.5) ? { reason: 'expired' } : undefined);
  return { lifecycle, proof };
}

/** Many intents, submitted `spacingMs` apart on average; each topic ordered by occurredAt. */
export function generateHistory(options: HistoryOptions): GeneratedHistory {
  const rng = createRng(options.seed);
  const spacing = options.spacingMs ?? 1000;
  let start = options.startAt ?? DEFAULT_START;
  const lifecycle: IntentEventInput[] = [];
  const proof: IntentEventInput[] = [];
  const intentIds: string[] = [];
  for (let i = 0; i < options.intents; i++) {
    const intentId = randomIntentId(rng);
    intentIds.push(intentId);
    const h = generateIntentHistory(rng, intentId, start, options);
    lifecycle.push(...h.lifecycle);
    proof.push(...h.proof);
    start += rng.int(0, 2 * spacing);
  }
  // Array.prototype.sort is stable: same-millisecond events keep their generation order.
  const byTime = (a: IntentEventInput, b: IntentEventInput): number => Date.parse(a.occurredAt) - Date.parse(b.occurredAt);
  lifecycle.sort(byTime);
  proof.sort(byTime);
  return { lifecycle, proof, intentIds };
}

// ---------------------------------------------------------------------------------------------
// Pure stream transformations (deterministic given their inputs)

/** Merges two sequences keeping each one's order: `pickFirst[i]` says which one gives element i. */
export function interleave<T>(a: readonly T[], b: readonly T[], pickFirst: readonly boolean[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  for (let k = 0; i < a.length || j < b.length; k++) {
    const takeA = j >= b.length || (i < a.length && (pickFirst[k] ?? true));
    out.push(takeA ? (a[i++] as T) : (b[j++] as T));
  }
  return out;
}

/** A redelivery: the record at `source` is delivered again right after position `after` (≥ source). */
export interface Redelivery {
  source: number;
  after: number;
}

/** Inserts redelivered copies of earlier records later in the same sequence. */
export function redeliver<T>(records: readonly T[], redeliveries: readonly Redelivery[]): T[] {
  const inserts = new Map<number, T[]>();
  for (const r of redeliveries) {
    const record = records[r.source];
    if (record === undefined || r.after < r.source) continue;
    const at = Math.min(r.after, records.length - 1);
    const list = inserts.get(at) ?? [];
    list.push(record);
    inserts.set(at, list);
  }
  const out: T[] = [];
  records.forEach((record, i) => {
    out.push(record);
    out.push(...(inserts.get(i) ?? []));
  });
  return out;
}

/** Cuts a sequence into consecutive chunks at the given sizes (the last chunk takes the rest). */
export function chunk<T>(records: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (const size of sizes) {
    if (i >= records.length) break;
    out.push(records.slice(i, i + Math.max(1, size)));
    i += Math.max(1, size);
  }
  if (i < records.length) out.push(records.slice(i));
  return out;
}

// ---------------------------------------------------------------------------------------------
// fast-check arbitraries

export interface HistoryArbOptions extends Partial<Omit<HistoryOptions, 'intents' | 'seed'>> {
  maxIntents?: number;
}

/** A realistic multi-intent history (both topics), from a random seed and intent count. */
export function historyArb(options: HistoryArbOptions = {}): fc.Arbitrary<GeneratedHistory> {
  const { maxIntents = 20, ...rest } = options;
  return fc
    .record({ seed: fc.integer(), intents: fc.integer({ min: 1, max: maxIntents }) })
    .map(({ seed, intents }) => generateHistory({ removeRate: 0.25, ...rest, seed, intents }));
}

/** Every merge of `a` and `b` that keeps each one's own order. */
export function interleavingArb<T>(a: readonly T[], b: readonly T[]): fc.Arbitrary<T[]> {
  const n = a.length + b.length;
  return fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((picks) => interleave(a, b, picks));
}

/** `records` with up to `max` earlier records delivered again later (producer retries, replays). */
export function redeliveriesArb<T>(records: readonly T[], max = 10): fc.Arbitrary<T[]> {
  if (records.length === 0) return fc.constant([]);
  const last = records.length - 1;
  const one = fc
    .tuple(fc.integer({ min: 0, max: last }), fc.integer({ min: 0, max: last }))
    .map(([x, y]): Redelivery => ({ source: Math.min(x, y), after: Math.max(x, y) }));
  return fc.array(one, { maxLength: max }).map((rs) => redeliver(records, rs));
}

/** `records` cut into consecutive chunks of random sizes. */
export function chunkedArb<T>(records: readonly T[]): fc.Arbitrary<T[][]> {
  return fc.array(fc.integer({ min: 1, max: Math.max(1, records.length) }), { maxLength: 20 }).map((sizes) => chunk(records, sizes));
}

export interface AnyEventArbOptions {
  /** size of the pool of intentIds (small pools make events of one intent collide) */
  intents?: number;
  /** size of the pool of eventIds (small pools make duplicates) */
  eventIds?: number;
  /** occurredAt range in seconds from DEFAULT_START (small ranges make ties) */
  seconds?: number;
}

/**
 * Any valid wire event of any type, with no regard for a realistic order: random types, random
 * (valid) data, intentIds in any case, eventIds and times drawn from small pools.
 */
export function anyWireEventArb(options: AnyEventArbOptions = {}): fc.Arbitrary<IntentEventInput> {
  const { intents = 3, eventIds = 40, seconds = 30 } = options;
  const idPool = Array.from({ length: intents }, (_, i) => `0x${i.toString(16).padStart(2, '0').repeat(32)}`);
  const text = fc.string({ minLength: 1, maxLength: 12 });
  const hash = fc.constantFrom('0xaa', '0xbb', '0xcc', '0xdd');
  const iso = fc.integer({ min: 0, max: seconds * 1000 }).map((ms) => new Date(DEFAULT_START + ms).toISOString());
  const dataArb: { [T in EventType]: fc.Arbitrary<DataOf<T>> } = {
    'intent.submitted': fc.record(
      {
        fromChain: fc.integer({ min: 1, max: 100_000 }),
        toChain: fc.integer({ min: 1, max: 100_000 }),
        amount: fc.oneof(fc.nat().map(String), fc.constant('1.5')),
        user: text,
        deadline: fc.nat(),
      },
      { requiredKeys: ['fromChain', 'toChain', 'amount'] },
    ),
    'intent.matched': fc.record({ solver: fc.constantFrom('0xs1', '0xs2', '0xs3') }),
    'intent.source_lock_requested': fc.constant(undefined),
    'intent.source_locked': fc.record({ txHash: hash }),
    'intent.destination_locked': fc.record({ txHash: hash }),
    'intent.destination_withdrawn': fc.record({ txHash: hash }),
    'intent.completed': fc.option(fc.record({ txHash: hash }, { requiredKeys: [] }), { nil: undefined }),
    'intent.refunded': fc.record({ side: fc.constantFrom('source' as const, 'destination' as const), txHash: hash }),
    'intent.failed': fc.record({ error: text, failureReason: text }),
    'intent.cancelled': fc.option(fc.record({ reason: text }, { requiredKeys: [] }), { nil: undefined }),
    'intent.removed': fc.option(fc.record({ reason: text }, { requiredKeys: [] }), { nil: undefined }),
    'proof.requested': fc.constant(undefined),
    'proof.generating': fc.constant(undefined),
    'proof.generated': fc.option(fc.record({ proofGeneratedAt: iso }, { requiredKeys: [] }), { nil: undefined }),
    'proof.verified': fc.constant(undefined),
    'proof.failed': fc.option(fc.record({ error: text }, { requiredKeys: [] }), { nil: undefined }),
    'proof.settlement_generated': fc.record({ proof: text, verifier: text }, { requiredKeys: ['proof'] }),
  };
  return fc
    .record({
      type: fc.constantFrom(...EVENT_TYPES),
      intent: fc.constantFrom(...idPool),
      upper: fc.boolean(),
      eventId: fc.integer({ min: 1, max: eventIds }).map((n) => `e${n}`),
      occurredAt: iso,
    })
    .chain(({ type, intent, upper, eventId, occurredAt }) =>
      (dataArb[type] as fc.Arbitrary<unknown>).map((data) => {
        const base = { eventId, type, intentId: upper ? intent.toUpperCase().replace('0X', '0x') : intent, occurredAt };
        return (data === undefined ? base : { ...base, data }) as IntentEventInput;
      }),
    );
}
