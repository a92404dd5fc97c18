/**
 * Benchmark datasets: realistic histories from the simulator's lifecycle generator (src/sim),
 * deterministic for a seed. `intents` lifecycles start spread over an hour, so they interleave.
 */
import type { IntentEventInput } from '../../src/contract/events.js';
import type { TopicRole } from '../../src/config.js';
import { generateLifecycle } from '../../src/sim/lifecycle.js';
import { createRng } from '../../src/sim/prng.js';

export interface Dataset {
  /** wire events per topic, in publication order */
  readonly lifecycle: IntentEventInput[];
  readonly proofs: IntentEventInput[];
  /** both topics merged in time order (one valid interleaving) */
  readonly merged: { topic: TopicRole; event: IntentEventInput }[];
  readonly intents: number;
}

export const DATASET_START_MS = Date.parse('2026-11-01T00:00:00.000Z');
/** the lifecycles of one dataset start within this span of event time */
export const DATASET_SPAN_MS = 3_600_000;

export interface DatasetOptions {
  /** share of finished intents removed afterwards (src/sim/lifecycle.ts; default 0.05) */
  readonly removalShare?: number;
  /** event time the span of lifecycle starts begins (default DATASET_START_MS) */
  readonly startMs?: number;
  /**
   * drop the events after this event time (the history so far: intents still in flight stay
   * live); lifecycles are generated until `events` events remain
   */
  readonly endMs?: number;
}

/** Generates at least `events` events (whole lifecycles, cut at `endMs` if given). */
export function dataset(events: number, seed = 42, opts: DatasetOptions = {}): Dataset {
  const rng = createRng(seed);
  const all: { topic: TopicRole; at: number; event: IntentEventInput }[] = [];
  const start = opts.startMs ?? DATASET_START_MS;
  const end = opts.endMs ?? Number.POSITIVE_INFINITY;
  const lifecycleOpts = { timeScale: 1, ...(opts.removalShare === undefined ? {} : { removalShare: opts.removalShare }) };
  let intents = 0;
  while (all.length < events) {
    const l = generateLifecycle(rng, start + Math.floor(rng() * DATASET_SPAN_MS), lifecycleOpts);
    for (const e of l.events) if (e.at <= end) all.push(e);
    intents++;
  }
  all.sort((a, b) => a.at - b.at);
  const merged = all.map(({ topic, event }) => ({ topic, event }));
  return {
    lifecycle: merged.filter((e) => e.topic === 'lifecycle').map((e) => e.event),
    proofs: merged.filter((e) => e.topic === 'proofs').map((e) => e.event),
    merged,
    intents,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return Number(process.argv[i + 1]);
  const env = process.env[`BENCH_${name.toUpperCase()}`];
  return env !== undefined ? Number(env) : fallback;
}

export function summary(name: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: name, ...fields })}\n`);
}
