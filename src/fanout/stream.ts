/**
 * Where the stream is (docs/resume.md): the node's offset vector over the input partitions, the
 * positions of its emissions, and the resume window. The pipeline tells it every record it
 * applied (`advance`) and every diff (`record`); the transport asks it for the current position
 * and for the emissions a client missed. Pure bookkeeping: no I/O, no clock.
 */
import type { Diff } from '../reduce/diff.js';
import { emissionsFor, withPosition, type Emission, type PositionedEmission } from './emissions.js';
import { decodePosition, encodePosition, slotOf, topicsHash, type Cut } from './position.js';
import { DEFAULT_RESUME_WINDOW_BYTES, ResumeWindow, type ResumeAnswer, type Wants } from './resume-window.js';

export interface StreamTopics {
  readonly lifecycle: string;
  readonly proofs: string;
}

export class Stream {
  readonly hash: number;
  readonly window: ResumeWindow;
  private readonly vector: number[] = [];
  private readonly roles = new Map<string, 0 | 1>();

  /** Without topics (tests), the first two topics seen are taken as lifecycle and proofs. */
  constructor(topics: StreamTopics | undefined, windowCapacity: number, windowBytes = DEFAULT_RESUME_WINDOW_BYTES) {
    this.hash = topicsHash(topics?.lifecycle ?? '', topics?.proofs ?? '');
    if (topics !== undefined) {
      this.roles.set(topics.lifecycle, 0);
      this.roles.set(topics.proofs, 1);
    }
    this.window = new ResumeWindow(windowCapacity, this.hash, windowBytes);
  }

  /** The slot of a partition in the vector, or -1 for a third topic (not positioned). */
  slot(topic: string, partition: number): number {
    let role = this.roles.get(topic);
    if (role === undefined) {
      if (this.roles.size >= 2) return -1;
      role = this.roles.size === 0 ? 0 : 1;
      this.roles.set(topic, role);
    }
    return slotOf(role, partition);
  }

  /**
   * The node starts from a state that already holds the partition's records below `nextOffset`
   * (a snapshot, docs/resume.md): its positions cover them, its window has none of them.
   */
  restored(topic: string, partition: number, nextOffset: number): void {
    const slot = this.slot(topic, partition);
    if (slot < 0 || nextOffset <= 0) return;
    while (this.vector.length <= slot) this.vector.push(0);
    if (nextOffset > this.vector[slot]!) this.vector[slot] = nextOffset;
    this.window.seen(slot, nextOffset);
  }

  /** The node applied the record at `offset` of `slot` (whatever it changed). */
  advance(slot: number, offset: number): void {
    if (slot < 0) return;
    while (this.vector.length <= slot) this.vector.push(0);
    if (offset + 1 > this.vector[slot]!) this.vector[slot] = offset + 1;
    this.window.seen(slot, offset);
  }

  /**
   * The record (slot, offset), already `advance`d, changed the state but is neither emitted nor
   * kept: `record` with neither `emit` nor `keep`, without a diff (the replay, far from its end).
   */
  skip(slot: number, offset: number): void {
    if (slot >= 0) this.window.skip(slot, offset);
  }

  /**
   * The record (slot, offset), already `advance`d, made `diff`, emitted at `at`: with `keep` its
   * emissions join the window (without, the record counts as gone from it: the replay, far from
   * its end); with `emit` they are returned with their positions (the vector after the record;
   * all but its last emission name the record as partially covered). Read the diff now: it is a
   * view of the intent's record, which its next event changes.
   */
  record(slot: number, offset: number, diff: Diff, at: number, emit: boolean, keep = true): PositionedEmission[] | null {
    if (!emit && !keep) {
      if (slot >= 0) this.window.skip(slot, offset);
      return null;
    }
    const es: Emission[] = emissionsFor(diff, at);
    if (slot >= 0) {
      if (keep) this.window.push(slot, offset, es, this.vector);
      else this.window.skip(slot, offset);
    }
    if (!emit) return null;
    const last = es.length - 1;
    return es.map((e, k) =>
      withPosition(
        e,
        slot < 0 ? this.position() : encodePosition(this.hash, { offsets: this.vector, partial: k < last ? { slot, index: k } : null }),
      ),
    );
  }

  /** The position covering every record applied so far. */
  position(): string {
    return encodePosition(this.hash, { offsets: this.vector, partial: null });
  }

  /** A client's `since`, or null when malformed or of other topics. */
  decode(position: unknown): Cut | null {
    return decodePosition(this.hash, position);
  }

  /**
   * With `intentId`: `wants` takes only emissions about that intent (the others are not read).
   * `limit`: the answer ends after the record whose emissions reach it (`more`: the rest is to be
   * asked for from the last emission's position).
   */
  missed(since: Cut, wants: Wants, intentId?: string, limit?: number): ResumeAnswer {
    return this.window.missed(since, this.vector, wants, intentId, limit);
  }

  /** Window entries pushed so far: emissions delivered from now on come from entries at or after it. */
  get seq(): number {
    return this.window.seq;
  }

  /** Has the node applied every record `since` covers? */
  reached(since: Cut): boolean {
    for (let i = 0; i < since.offsets.length; i++) if ((this.vector[i] ?? 0) < (since.offsets[i] ?? 0)) return false;
    return true;
  }
}
