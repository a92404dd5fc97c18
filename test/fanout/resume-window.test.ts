/**
 * The resume window's storage (src/fanout/resume-window.ts, window-codec.ts, window-bytes.ts):
 * what a resume sends is, byte for byte, the JSON the emissions had live (positions added last);
 * RESUME_WINDOW_BYTES bounds the window like RESUME_WINDOW does (the oldest go first, a resume
 * from before them is refused `outside_window`); entries across many chunks and a vector that
 * grows (a partition appears) still resume exactly.
 */
import { describe, expect, it } from 'vitest';
import { intentEventSchema, type IntentEventInput } from '../../src/contract/events.js';
import { ALL_INTENTS_ROOM } from '../../src/contract/socket.js';
import { emissionsFor, type Emission, type PositionedEmission } from '../../src/fanout/emissions.js';
import { decodePosition, encodePosition, topicsHash, type Cut } from '../../src/fanout/position.js';
import { ResumeWindow } from '../../src/fanout/resume-window.js';
import { encodePayloads } from '../../src/fanout/window-codec.js';
import { ProjectionStore } from '../../src/reduce/store.js';

const HASH = topicsHash('L', 'P');
const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const id = (n: number): string => `0x${n.toString(16).padStart(64, '0')}`;
const all = () => true;
const wire = (es: readonly PositionedEmission[]) => es.map((e) => JSON.stringify([e.event, e.payload]));

/** A whole lifecycle of intent n through the real reducer: the emissions of each of its events. */
function lifecycle(store: ProjectionStore, n: number, error = 'none', proofHex = 400): Emission[][] {
  let k = 0;
  const ev = (type: IntentEventInput['type'], s: number, data?: unknown) =>
    intentEventSchema.parse({ eventId: `e${n}-${++k}`, type, intentId: id(n), occurredAt: at(s), data });
  const events = [
    ev('intent.submitted', 0, { fromChain: 1, toChain: 2, amount: '10', user: '0xuser' }),
    ev('proof.generated', 1),
    ev('intent.matched', 2, { solver: 'S' }),
    ev('intent.source_locked', 3, { txHash: `0x${'1'.repeat(64)}` }),
    ev('proof.settlement_generated', 4, { proof: `0x${'f'.repeat(proofHex)}`, verifier: '0xv' }),
    ev('intent.failed', 5, { error, failureReason: error }),
  ];
  const out: Emission[][] = [];
  for (const e of events) {
    const diff = store.apply(e);
    if (diff !== null) out.push(emissionsFor(diff, T0 + 10_000 + n));
  }
  return out;
}

interface Fed {
  readonly window: ResumeWindow;
  /** what was delivered live, record by record, positioned as stream.ts does */
  readonly live: PositionedEmission[];
  /** the position before each record */
  readonly before: string[];
  readonly vector: number[];
}

/** Pushes records round-robin over `slots` slots, as the stream does, and keeps what went out live. */
function feed(records: readonly Emission[][], opts: { capacity: number; maxBytes?: number; slots?: (i: number) => number }): Fed {
  const window = new ResumeWindow(opts.capacity, HASH, opts.maxBytes);
  const vector: number[] = [];
  const live: PositionedEmission[] = [];
  const before: string[] = [];
  records.forEach((es, i) => {
    const slot = opts.slots?.(i) ?? i % 3;
    before.push(encodePosition(HASH, { offsets: vector, partial: null }));
    while (vector.length <= slot) vector.push(0);
    const offset = vector[slot]!;
    vector[slot] = offset + 1;
    window.seen(slot, offset);
    window.push(slot, offset, es, vector);
    es.forEach((e, k) => {
      const position = encodePosition(HASH, { offsets: vector, partial: k < es.length - 1 ? { slot, index: k } : null });
      live.push({ ...e, payload: { ...e.payload, position } } as PositionedEmission);
    });
  });
  return { window, live, before, vector };
}

const cut = (position: string): Cut => decodePosition(HASH, position)!;

describe('the resume window', () => {
  it('sends exactly the JSON it sent live: shared and extended payloads, UTF-8 text, every kind of emission', () => {
    const store = new ProjectionStore();
    const records = [...lifecycle(store, 1, 'plain'), ...lifecycle(store, 2, 'ünïcödé ✓ 😀 "quoted" \\ back'), ...lifecycle(store, 3)];
    const events = new Set(records.flat().map((e) => e.event));
    expect(events).toEqual(
      new Set(['intent:status', 'intent:new', 'intent:status_changed', 'intent:proof', 'intent:proof_changed', 'intent:settlement_proof']),
    );
    const fed = feed(records, { capacity: 1000 });
    for (let i = 0; i < records.length; i++) {
      const answer = fed.window.missed(cut(fed.before[i]!), fed.vector, all);
      expect(answer.ok).toBe(true);
      if (!answer.ok) continue;
      const from = records.slice(0, i).flat().length;
      expect(wire(answer.emissions)).toEqual(wire(fed.live.slice(from)));
      expect(answer.emissions.map((e) => e.rooms)).toEqual(fed.live.slice(from).map((e) => e.rooms));
    }
    // and from a partially covered record: the rest of it first
    const mid = fed.live.findIndex((e) => e.event === 'intent:proof');
    const rest = fed.window.missed(cut(fed.live[mid]!.payload.position), fed.vector, all);
    expect(rest.ok && wire(rest.emissions)).toEqual(wire(fed.live.slice(mid + 1)));
  });

  it('keeps a payload shared by two emissions, or extended by one, once', () => {
    const store = new ProjectionStore();
    const changed = lifecycle(store, 1).find((es) => es.some((e) => e.event === 'intent:status_changed'))!;
    const separate = `[${changed.map((e) => JSON.stringify(e.payload)).join(',')}]`;
    expect(encodePayloads(changed).length).toBeLessThan(separate.length * 0.6);
  });

  it('RESUME_WINDOW_BYTES: never holds more; the oldest go first and a resume from before them is outside_window', () => {
    const store = new ProjectionStore();
    const records = Array.from({ length: 40 }, (_, n) => lifecycle(store, n)).flat();
    const whole = feed(records, { capacity: 10_000 });
    const perRecord = whole.window.byteSize / records.length;
    const maxBytes = Math.floor(perRecord * 50);
    const fed = feed(records, { capacity: 10_000, maxBytes });
    expect(fed.window.byteSize).toBeLessThanOrEqual(maxBytes);
    expect(fed.window.size).toBeLessThan(records.length);
    expect(fed.window.size).toBeGreaterThan(30);
    const kept = fed.window.size;
    const first = records.length - kept;
    expect(fed.window.missed(cut(fed.before[first - 1]!), fed.vector, all)).toEqual({ ok: false, reason: 'outside_window' });
    const answer = fed.window.missed(cut(fed.before[first + 3]!), fed.vector, all);
    expect(answer.ok && wire(answer.emissions)).toEqual(wire(fed.live.slice(records.slice(0, first + 3).flat().length)));
  });

  it('a record whose entry alone is larger than RESUME_WINDOW_BYTES is not kept: resumes from before it are outside_window', () => {
    const store = new ProjectionStore();
    const small = lifecycle(store, 1).slice(0, 2);
    const big = lifecycle(store, 2, 'none', 20_000).find((es) => es.some((e) => e.event === 'intent:settlement_proof'))!;
    const maxBytes = feed(small, { capacity: 100 }).window.byteSize;
    const fed = feed([...small, big, ...small], { capacity: 100, maxBytes, slots: () => 0 });
    expect(fed.window.size).toBe(2);
    expect(fed.window.missed(cut(fed.before[1]!), fed.vector, all)).toEqual({ ok: false, reason: 'outside_window' });
    const after = fed.window.missed(cut(fed.before[3]!), fed.vector, all);
    expect(after.ok && wire(after.emissions)).toEqual(wire(fed.live.slice(-small.flat().length)));
  });

  it('many chunks, evictions, a growing index and a vector that grows: still exact', () => {
    const store = new ProjectionStore();
    const records = Array.from({ length: 700 }, (_, n) => lifecycle(store, n)).flat();
    // a new slot every 500 records (a partition appears)
    const fed = feed(records, { capacity: 3000, slots: (i) => Math.min(7, Math.floor(i / 500)) + (i % 2) * 8 });
    expect(fed.window.size).toBe(3000);
    expect(fed.window.byteSize).toBeGreaterThan(1024 * 1024);
    for (const i of [records.length - 3000, records.length - 2500, records.length - 1000, records.length - 1]) {
      const answer = fed.window.missed(cut(fed.before[i]!), fed.vector, all);
      expect(answer.ok && wire(answer.emissions)).toEqual(wire(fed.live.slice(records.slice(0, i).flat().length)));
    }
    const one = fed.window.missed(cut(fed.before[records.length - 2000]!), fed.vector, (e) => e.rooms.includes(ALL_INTENTS_ROOM));
    const allRoom = fed.live.slice(records.slice(0, records.length - 2000).flat().length).filter((e) => e.rooms.includes(ALL_INTENTS_ROOM));
    expect(one.ok && wire(one.emissions)).toEqual(wire(allRoom));
    // one intent's resume reads only that intent's entries, and gets the same
    const intent = records[records.length - 1500]![0]!.payload.intentId;
    const room = `intent:${intent}`;
    const ofIntent = (e: { rooms: readonly string[] }) => e.rooms.includes(room);
    const since = cut(fed.before[records.length - 2900]!);
    const hinted = fed.window.missed(since, fed.vector, ofIntent, intent);
    const unhinted = fed.window.missed(since, fed.vector, ofIntent);
    expect(hinted.ok && hinted.emissions.length).toBeGreaterThan(0);
    expect(hinted.ok && wire(hinted.emissions)).toEqual(unhinted.ok && wire(unhinted.emissions));
  });
});
