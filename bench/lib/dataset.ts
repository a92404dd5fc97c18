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

/** Generates at least `events` events (whole lifecycles). */
export function dataset(events: number, seed = 42): Dataset {
  const rng = createRng(seed);
  const all: { topic: TopicRole; at: number; event: IntentEventInput }[] = [];
  const start = Date.parse('2026-11-01T00:00:00.000Z');
  let intents = 0;
  while (all.length < events) {
    const l = generateLifecycle(rng, start + Math.floor(rng() * 3_600_000), { timeScale: 1 });
    for (const e of l.events) all.push(e);
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
