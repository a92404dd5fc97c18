/**
 * How far V8 lets the heap grow past what the last full collection left alive, before the next
 * one (`HEAP_GROWTH_PERCENT`, docs/socket-io.md "Heap growth"). V8 picks the factor itself, up to
 * 4× the live heap, and it picks high when much garbage is promoted: packets held for stalled
 * sockets until they are cut survive the young-generation collections and die in the old one, and
 * with ~32 MB alive the heap then grew to 142 MB before a full collection (`--trace-gc` under
 * bench/slow-consumers.ts), the process's RSS with it. A fixed factor keeps that garbage to a
 * bounded multiple of what is alive. 0 leaves V8's own choice.
 *
 * `--heap-growing-percent` is read each time V8 sets the next limit, so setting it once at start,
 * before the state is built, applies to the whole run.
 */
import v8 from 'node:v8';

/** Sets V8's heap growing factor to 1 + percent/100 (nothing for 0); says whether it set it. */
export function applyHeapGrowth(percent: number, setFlags: (flags: string) => void = v8.setFlagsFromString): boolean {
  if (percent <= 0) return false;
  setFlags(`--heap-growing-percent=${percent}`);
  return true;
}
