/**
 * Interleaves many intent lifecycles into one stream of events in time order, at a target rate.
 *
 * Intents start one after another; each new intent starts `n / rate` seconds after the previous
 * one (n = its own number of events, with jitter), so over time the stream carries `rate`
 * events per second while several intents are in flight at once. Deterministic for a seed: it
 * only computes times; pacing against the wall clock is the producer's job.
 */
import { generateLifecycle, type Lifecycle, type LifecycleOptions, type SimEvent } from './lifecycle.js';
import { between, createRng, type Rng } from './prng.js';

export interface SchedulerOptions {
  readonly seed: number;
  /** time of the first intent's submission, epoch ms */
  readonly startMs: number;
  /** target events per second (> 0) */
  readonly rate: number;
  /** stop starting intents after this many (default: unlimited) */
  readonly maxIntents?: number;
  readonly lifecycle?: LifecycleOptions;
}

interface Entry {
  readonly event: SimEvent;
  readonly seq: number;
}

export class Scheduler {
  private readonly rng: Rng;
  private readonly heap: Entry[] = [];
  private seq = 0;
  private nextStartAt: number;
  private startedIntents = 0;
  private readonly onStartListeners: ((l: Lifecycle) => void)[] = [];

  constructor(private readonly opts: SchedulerOptions) {
    if (!(opts.rate > 0)) throw new RangeError('rate must be > 0');
    this.rng = createRng(opts.seed);
    this.nextStartAt = opts.startMs;
  }

  /** intents started so far */
  get intents(): number {
    return this.startedIntents;
  }

  /** called for every lifecycle as it is generated (for summaries and tests) */
  onStart(listener: (l: Lifecycle) => void): void {
    this.onStartListeners.push(listener);
  }

  private get canStart(): boolean {
    return this.opts.maxIntents === undefined || this.startedIntents < this.opts.maxIntents;
  }

  /** time of the next event, or undefined when the stream is finished */
  peekAt(): number | undefined {
    this.fill();
    return this.heap[0]?.event.at;
  }

  /** the next event in time order, or undefined when the stream is finished */
  next(): SimEvent | undefined {
    this.fill();
    const top = this.pop();
    return top?.event;
  }

  /** every event due at or before `now`, in time order */
  takeUntil(now: number): SimEvent[] {
    const out: SimEvent[] = [];
    for (;;) {
      const at = this.peekAt();
      if (at === undefined || at > now) return out;
      out.push(this.next()!);
    }
  }

  /** true when no more events will come (only with maxIntents) */
  get done(): boolean {
    return this.peekAt() === undefined;
  }

  /** Starts every intent whose start time is not after the earliest pending event. */
  private fill(): void {
    while (this.canStart && (this.heap.length === 0 || this.nextStartAt <= this.heap[0]!.event.at)) {
      const l = generateLifecycle(this.rng, this.nextStartAt, this.opts.lifecycle);
      this.startedIntents++;
      for (const e of l.events) this.push({ event: e, seq: this.seq++ });
      for (const f of this.onStartListeners) f(l);
      const gapMs = (l.events.length / this.opts.rate) * 1000 * between(this.rng, 0.5, 1.5);
      this.nextStartAt += Math.max(1, Math.round(gapMs));
    }
  }

  private less(a: Entry, b: Entry): boolean {
    return a.event.at < b.event.at || (a.event.at === b.event.at && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return top;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
