/**
 * The lifecycle generator: one intent's realistic history in wire form (docs/contract.md § Input),
 * following the protocol's flow: submitted → proof requested/generating/generated/verified (proof
 * topic) → matched → source_lock_requested → source_locked → destination_locked →
 * destination_withdrawn → completed, with a share of failures, cancellations, refunds (failed +
 * refunded on both sides), removals and settlement proofs.
 *
 * Pure and deterministic: the PRNG and the start time are inputs, so the same seed gives the same
 * history. Used by the embedded source's simulator, the `simulate` command and benchmarks.
 */
import type { TopicRole } from '../config.js';
import type { IntentEventInput } from '../contract/events.js';
import { between, hex, intBetween, pick, uuid, weighted, type Rng } from './prng.js';

/** One generated event with the time it happens (epoch ms, equal to its `occurredAt`). */
export interface SimEvent {
  readonly topic: TopicRole;
  readonly at: number;
  readonly event: IntentEventInput;
}

export const OUTCOMES = ['completed', 'failed', 'refunded', 'cancelled', 'proof_failed', 'expired'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** How often each ending happens. */
export const OUTCOME_WEIGHTS: Readonly<Record<Outcome, number>> = {
  completed: 70,
  failed: 7,
  refunded: 6,
  cancelled: 7,
  proof_failed: 5,
  expired: 5,
};

export interface LifecycleOptions {
  /**
   * Multiplies the protocol's real step durations (seconds to minutes). 1 = real time; the default
   * 0.1 makes a whole lifecycle last a few seconds.
   */
  readonly timeScale?: number;
  /** force an ending instead of drawing one */
  readonly outcome?: Outcome;
  /** share of completed intents that also get a settlement proof (default 0.6) */
  readonly settlementShare?: number;
  /** share of finished intents removed (garbage-collected) afterwards (default 0.05) */
  readonly removalShare?: number;
}

export interface Lifecycle {
  readonly intentId: string;
  readonly outcome: Outcome;
  /** whether the history ends with `intent.removed` */
  readonly removed: boolean;
  /** sorted by `at`; per topic in publication order */
  readonly events: readonly SimEvent[];
}

export const CHAINS = [1, 10, 56, 137, 8453, 42161] as const;
export const SOLVERS = [
  '0x52908400098527886E0F7030069857D2E4169EE7',
  '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
  '0xde709f2102306220921060314715629080e2fb77',
  '0x27b1fdb04752bbc536007a920d24acb045561c26',
  '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
] as const;

export function generateLifecycle(rng: Rng, startMs: number, opts: LifecycleOptions = {}): Lifecycle {
  const scale = opts.timeScale ?? 0.1;
  const outcome = opts.outcome ?? weighted(rng, OUTCOME_WEIGHTS);
  const intentId = `0x${hex(rng, 64)}`;
  const events: SimEvent[] = [];
  let t = startMs;
  /** advances the clock by a protocol duration in seconds (scaled), at least 1 ms */
  const wait = (minS: number, maxS: number): number => {
    t += Math.max(1, Math.round(between(rng, minS, maxS) * 1000 * scale));
    return t;
  };
  const at = (ms: number) => new Date(ms).toISOString();
  const lifecycle = (type: string, data?: Record<string, unknown>): void => {
    push('lifecycle', type, data);
  };
  const proof = (type: string, data?: Record<string, unknown>): void => {
    push('proofs', type, data);
  };
  function push(topic: TopicRole, type: string, data: Record<string, unknown> | undefined): void {
    const event = { eventId: uuid(rng), type, intentId, occurredAt: at(t), ...(data ? { data } : {}) } as IntentEventInput;
    events.push({ topic, at: t, event });
  }
  const tx = () => `0x${hex(rng, 64)}`;

  const fromChain = pick(rng, CHAINS);
  let toChain = pick(rng, CHAINS);
  while (toChain === fromChain) toChain = pick(rng, CHAINS);
  const amount = rng() < 0.5 ? String(intBetween(rng, 1, 50_000) * 1000) : between(rng, 0.01, 250).toFixed(intBetween(rng, 1, 6));
  lifecycle('intent.submitted', {
    fromChain,
    toChain,
    amount,
    user: `0x${hex(rng, 40)}`,
    deadline: Math.floor(startMs / 1000) + 3600,
  });

  // proofs, published by the prover on the proof topic
  wait(0.1, 0.5);
  proof('proof.requested');
  wait(0.5, 3);
  proof('proof.generating');
  wait(5, 20);
  if (outcome === 'proof_failed') {
    proof('proof.failed', { error: pick(rng, ['prover timeout', 'witness generation failed', 'circuit constraint unsatisfied']) });
    wait(0.5, 2);
    lifecycle('intent.failed', { error: 'proof generation failed', failureReason: 'PROOF_FAILED' });
    return finish();
  }
  const generatedAt = t;
  wait(0.05, 0.5);
  proof('proof.generated', { proofGeneratedAt: at(generatedAt) });
  wait(1, 4);
  proof('proof.verified');

  if (outcome === 'cancelled') {
    wait(2, 10);
    lifecycle('intent.cancelled', { reason: pick(rng, ['cancelled by user', 'price moved beyond slippage', 'deadline too close']) });
    return finish();
  }
  if (outcome === 'expired') {
    wait(10, 30);
    lifecycle('intent.removed', { reason: 'expired without a solver' });
    return { intentId, outcome, removed: true, events: sorted() };
  }

  // matching and settlement through the two HTLCs
  wait(2, 10);
  lifecycle('intent.matched', { solver: pick(rng, SOLVERS) });
  if (outcome === 'failed' && rng() < 0.5) {
    wait(5, 15);
    lifecycle('intent.failed', { error: 'solver did not request the source lock', failureReason: 'SOLVER_TIMEOUT' });
    return finish();
  }
  wait(0.5, 2);
  lifecycle('intent.source_lock_requested');
  wait(3, 15);
  lifecycle('intent.source_locked', { txHash: tx() });
  if (outcome === 'failed') {
    wait(10, 30);
    lifecycle('intent.failed', { error: 'destination lock reverted', failureReason: 'DESTINATION_LOCK_FAILED' });
    return finish();
  }
  wait(3, 15);
  lifecycle('intent.destination_locked', { txHash: tx() });
  if (outcome === 'refunded') {
    wait(20, 40);
    lifecycle('intent.failed', { error: 'hashlock secret not revealed before the timelock', failureReason: 'HTLC_EXPIRED' });
    wait(1, 5);
    lifecycle('intent.refunded', { side: 'destination', txHash: tx() });
    wait(1, 5);
    lifecycle('intent.refunded', { side: 'source', txHash: tx() });
    return finish();
  }
  wait(2, 10);
  lifecycle('intent.destination_withdrawn', { txHash: tx() });
  if (rng() < (opts.settlementShare ?? 0.6)) {
    const proofAt = t;
    t = proofAt + Math.max(1, Math.round(between(rng, 1, 6) * 1000 * scale));
    proof('proof.settlement_generated', { proof: `0x${hex(rng, 512)}`, verifier: `0x${hex(rng, 40)}` });
    t = proofAt;
  }
  wait(2, 10);
  lifecycle('intent.completed', { txHash: tx() });
  return finish();

  function finish(): Lifecycle {
    const removed = rng() < (opts.removalShare ?? 0.05);
    if (removed) {
      t = Math.max(t, ...events.map((e) => e.at));
      wait(20, 60);
      lifecycle('intent.removed', { reason: 'finished intent garbage-collected' });
    }
    return { intentId, outcome, removed, events: sorted() };
  }
  function sorted(): SimEvent[] {
    // stable: equal times keep publication order
    return events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
      .map(({ e }) => e);
  }
}

/** The internal status a lifecycle ends in (null when it ends removed). */
export function finalStatus(l: Lifecycle): 'COMPLETED' | 'FAILED' | 'CANCELLED' | null {
  if (l.removed) return null;
  switch (l.outcome) {
    case 'completed':
      return 'COMPLETED';
    case 'failed':
    case 'refunded':
    case 'proof_failed':
      return 'FAILED';
    case 'cancelled':
      return 'CANCELLED';
    case 'expired':
      return null;
    default: {
      const never: never = l.outcome;
      throw new Error(`unknown outcome ${String(never)}`);
    }
  }
}
