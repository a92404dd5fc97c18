/**
 * The resume window (docs/resume.md): the diffs of the last `capacity` input records that changed
 * something, each with its Kafka coordinates and the offset vector after it, so that a client can
 * resume from a position (position.ts) on any node: the node re-sends the emissions of the
 * records the position does not cover, in its own order, none twice.
 *
 * Each entry keeps the record's emissions without their positions (a diff reads the intent's
 * record, which the next event of that intent changes in place: it cannot be kept); a resume sends
 * them again exactly as they were sent (same payloads, same emission time), positions added. The
 * window is filled during the start-up replay too (nothing is delivered then), so a node that
 * restarts can resume clients of any node. Pure: no I/O, no clock.
 */
import { withPosition, type Emission, type PositionedEmission } from './emissions.js';
import { covers, encodePosition, maxVector, reached, type Cut } from './position.js';

export interface WindowEntry {
  readonly slot: number;
  readonly offset: number;
  /** its emissions, in order, without positions */
  readonly emissions: readonly Emission[];
  /** the node's offset vector just after this record */
  readonly after: readonly number[];
}

/** Where a window emission comes from: the entry's sequence number (pushes before it) and record. */
export interface EmissionSource {
  readonly seq: number;
  readonly slot: number;
  readonly offset: number;
  /** its number among the record's emissions */
  readonly index: number;
}

export type Wants = (e: Emission, source: EmissionSource) => boolean;

export type ResumeAnswer =
  | { readonly ok: true; readonly emissions: readonly PositionedEmission[] }
  | { readonly ok: false; readonly reason: 'outside_window' | 'ahead' };

export class ResumeWindow {
  private readonly ring: (WindowEntry | undefined)[];
  private head = 0;
  private count = 0;
  private pushed = 0;
  /** per slot: the lowest offset from which every record with emissions is in the window */
  private readonly floor: (number | undefined)[] = [];

  constructor(
    readonly capacity: number,
    private readonly hash: number,
  ) {
    this.ring = new Array<WindowEntry | undefined>(Math.max(0, capacity));
  }

  get size(): number {
    return this.count;
  }

  /** Entries pushed so far: the sequence number the next entry gets. */
  get seq(): number {
    return this.pushed;
  }

  /** The node applied the record (slot, offset); called for every record, changed or not. */
  seen(slot: number, offset: number): void {
    if (this.floor[slot] === undefined) this.floor[slot] = offset;
  }

  /** A record with emissions that is not kept (the replay far from its end): as if evicted at once. */
  skip(slot: number, offset: number): void {
    this.pushed++;
    const f = this.floor[slot];
    if (f === undefined || f <= offset) this.floor[slot] = offset + 1;
  }

  push(entry: WindowEntry): void {
    this.pushed++;
    if (this.capacity === 0) {
      this.evicted(entry);
      return;
    }
    const at = (this.head + this.count) % this.capacity;
    if (this.count === this.capacity) {
      this.evicted(this.ring[this.head]!);
      this.ring[this.head] = entry;
      this.head = (this.head + 1) % this.capacity;
    } else {
      this.ring[at] = entry;
      this.count++;
    }
  }

  /**
   * The emissions a subscriber (`wants`) missed after `since`, given the node's current offset
   * vector: emissions of the records not covered by `since`, the rest of the partially covered
   * record first, then in the node's order. Not ok when records `since` does not cover may have
   * left the window, or when the node has not applied everything `since` covers yet.
   */
  missed(since: Cut, vector: readonly number[], wants: Wants): ResumeAnswer {
    if (!reached(vector, since)) return { ok: false, reason: 'ahead' };
    for (let s = 0; s < this.floor.length; s++) {
      const f = this.floor[s];
      if (f === undefined) continue;
      const next = since.offsets[s] ?? 0;
      const needed = since.partial?.slot === s ? next - 1 : next;
      if (needed < f) return { ok: false, reason: 'outside_window' };
    }
    const out: PositionedEmission[] = [];
    const p = since.partial;
    if (p !== null) {
      const offset = (since.offsets[p.slot] ?? 0) - 1;
      for (let i = 0; i < this.count; i++) {
        const e = this.at(i);
        if (e.slot !== p.slot || e.offset !== offset) continue;
        const es = e.emissions;
        const seq = this.pushed - this.count + i;
        for (let k = p.index + 1; k < es.length; k++) {
          const partial = k < es.length - 1 ? { slot: p.slot, index: k } : null;
          if (wants(es[k]!, { seq, slot: e.slot, offset: e.offset, index: k }))
            out.push(withPosition(es[k]!, encodePosition(this.hash, { offsets: since.offsets, partial })));
        }
        break;
      }
    }
    for (let i = this.firstUncovered(since); i < this.count; i++) {
      const e = this.at(i);
      if (covers(since, e.slot, e.offset, Number.POSITIVE_INFINITY)) continue;
      if (p !== null && e.slot === p.slot && e.offset === (since.offsets[p.slot] ?? 0) - 1) continue;
      const es = e.emissions;
      const seq = this.pushed - this.count + i;
      let merged: number[] | null = null;
      for (let k = 0; k < es.length; k++) {
        if (!wants(es[k]!, { seq, slot: e.slot, offset: e.offset, index: k })) continue;
        merged ??= maxVector(since.offsets, e.after);
        const partial = k < es.length - 1 ? { slot: e.slot, index: k } : null;
        out.push(withPosition(es[k]!, encodePosition(this.hash, { offsets: merged, partial })));
      }
    }
    return { ok: true, emissions: out };
  }

  /** Entries before the first whose `after` vector is not within `since` are all covered (vectors only grow). */
  private firstUncovered(since: Cut): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (reached(since.offsets, { offsets: this.at(mid).after, partial: null })) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private at(i: number): WindowEntry {
    return this.ring[(this.head + i) % this.capacity]!;
  }

  private evicted(e: WindowEntry): void {
    const f = this.floor[e.slot];
    if (f === undefined || f <= e.offset) this.floor[e.slot] = e.offset + 1;
  }
}
