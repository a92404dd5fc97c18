/**
 * A/B of the fold (docs/reducer.md "Speed of the fold"): the reducer of this tree against the
 * reducer of other trees (a directory holding a `src/` of another commit, e.g. made by
 * `git archive <commit> src | tar -x -C /tmp/base`, with node_modules beside it or above it),
 * on the same events, timed in CPU time. Each variant runs in a process of its own (its own heap:
 * one variant's garbage is not collected on another's time), and the processes take turns: each
 * 20,000-event chunk is folded by every variant in turn (the order alternating from chunk to
 * chunk) while the others wait, so they share the machine's load alike. Only ratios measured so
 * mean anything on a shared machine.
 *
 * Usage: npx tsx bench/ab-reducer.ts --base /tmp/base [--base2 /tmp/other] [--head <dir>, default
 *          this tree] [--events 300000] [--runs 5] [--path apply|fold]
 * Prints per run and at the end the median events/s of each variant, on decoded events and with
 * decoding (Buffer → JSON.parse → zod), and the ratios against the first base.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IntentEvent } from '../src/contract/events.js';
import { arg, dataset, median } from './lib/dataset.js';

interface Store {
  apply(e: IntentEvent): unknown;
  fold(e: IntentEvent): unknown;
  readonly size: number;
}
type Decode = (r: { value: Buffer }) => { ok: true; event: IntentEvent } | { ok: false; reason: string };

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};

const events = arg('events', 300_000);
const runs = arg('runs', 5);
const path = flag('path') === 'fold' ? 'fold' : 'apply';
const CHUNK = 20_000;

type Command = { kind: 'start'; withDecode: boolean } | { kind: 'chunk'; from: number; to: number } | { kind: 'end' };

const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** A variant's process: folds the chunks it is told to, answers the CPU ms each took. */
async function child(dir: string): Promise<void> {
  const url = (p: string): string => pathToFileURL(resolve(dir, p)).href;
  const { ProjectionStore } = (await import(url('src/reduce/store.ts'))) as { ProjectionStore: new () => Store };
  const { decodeRecord } = (await import(url('src/ingest/decode.ts'))) as { decodeRecord: Decode };
  const ds = dataset(events);
  const parts = ds.merged.map((e) => Buffer.from(JSON.stringify(e.event)));
  let store = new ProjectionStore();
  let withDecode = false;
  process.on('message', (m: Command) => {
    if (m.kind === 'start') {
      store = new ProjectionStore();
      withDecode = m.withDecode;
      process.send!({ ms: 0, n: parts.length });
    } else if (m.kind === 'chunk') {
      let ms: number;
      if (withDecode) {
        const t = cpu();
        for (let j = m.from; j < m.to; j++) {
          const d = decodeRecord({ value: parts[j]! });
          if (d.ok) store[path](d.event);
        }
        ms = cpu() - t;
      } else {
        const decoded: IntentEvent[] = [];
        for (let j = m.from; j < m.to; j++) {
          const d = decodeRecord({ value: parts[j]! });
          if (!d.ok) throw new Error(d.reason);
          decoded.push(d.event);
        }
        const t = cpu();
        for (let j = 0; j < decoded.length; j++) store[path](decoded[j]!);
        ms = cpu() - t;
      }
      process.send!({ ms, n: store.size });
    } else process.exit(0);
  });
  process.send!({ ms: 0, n: parts.length });
}

async function parent(): Promise<void> {
  const dirs: (readonly [string, string])[] = [['head', resolve(flag('head') ?? resolve(import.meta.dirname, '..'))]];
  for (const f of ['base', 'base2', 'base3']) {
    const d = flag(f);
    if (d !== undefined) dirs.push([`${f} (${d})`, resolve(d)]);
  }
  if (dirs.length === 1) throw new Error('--base <dir with src/> is required');
  const children = dirs.map(([, d]) =>
    fork(import.meta.filename, ['--child', d, '--events', String(events), '--path', path], { execArgv: ['--import', 'tsx'] }),
  );
  const ask = (c: ChildProcess, m?: Command): Promise<{ ms: number; n: number }> =>
    new Promise((res) => {
      c.once('message', (r) => res(r as { ms: number; n: number }));
      if (m !== undefined) c.send(m);
    });
  const sizes = await Promise.all(children.map((c) => ask(c)));
  const n = sizes[0]!.n;
  process.stderr.write(`dataset: ${n} events; path store.${path}; variants: ${dirs.map(([v]) => v).join(', ')}\n`);
  /** per variant: base's CPU time / the variant's, chunk by chunk (the same chunk, back to back) */
  const chunkRatios = { decoded: dirs.map((): number[] => []), withDecode: dirs.map((): number[] => []) };
  const one = async (withDecode: boolean, r: number, record: boolean): Promise<number[]> => {
    for (const c of children) await ask(c, { kind: 'start', withDecode });
    const ms = dirs.map(() => 0);
    for (let from = 0, c = 0; from < n; from += CHUNK, c++) {
      const chunk = dirs.map(() => 0);
      for (let k = 0; k < children.length; k++) {
        const i = (k + c + r) % children.length;
        chunk[i] = (await ask(children[i]!, { kind: 'chunk', from, to: Math.min(n, from + CHUNK) })).ms;
        ms[i]! += chunk[i]!;
      }
      if (record) for (const [i, m] of chunk.entries()) chunkRatios[withDecode ? 'withDecode' : 'decoded'][i]!.push(chunk[1]! / m);
    }
    return ms;
  };
  await one(true, 0, false); // warm-up
  const results = { decoded: dirs.map((): number[] => []), withDecode: dirs.map((): number[] => []) };
  const rate = (ms: number): number => Math.round(n / (ms / 1000));
  for (let r = 0; r < runs; r++) {
    for (const mode of ['decoded', 'withDecode'] as const) {
      const ms = await one(mode === 'withDecode', r, true);
      for (const [i, m] of ms.entries()) results[mode][i]!.push(m);
      process.stderr.write(`run ${r + 1}/${runs} ${mode}: ${dirs.map(([v], i) => `${v} ${rate(ms[i]!)}`).join(', ')} ev/s\n`);
    }
  }
  for (const c of children) c.send({ kind: 'end' });
  for (const mode of ['decoded', 'withDecode'] as const) {
    const med = results[mode].map(median);
    const base = med[1]!;
    const q = (xs: number[], p: number): string => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))]!.toFixed(3);
    console.log(
      `${mode} (median of ${runs} runs, CPU time, store.${path}): ` +
        dirs.map(([v], i) => `${v} ${rate(med[i]!)} ev/s (${(base / med[i]!).toFixed(3)}x)`).join(', '),
    );
    console.log(
      `${mode}, chunk by chunk (${chunkRatios[mode][0]!.length} chunks of ${CHUNK}; median [quartiles] of base time / variant time): ` +
        dirs
          .map(([v], i) => `${v} ${q(chunkRatios[mode][i]!, 0.5)} [${q(chunkRatios[mode][i]!, 0.25)}-${q(chunkRatios[mode][i]!, 0.75)}]`)
          .join(', '),
    );
  }
}

const childDir = flag('child');
await (childDir === undefined ? parent() : child(childDir));
