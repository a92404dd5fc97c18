/**
 * What the client reads of a stream position (docs/resume.md "Encoding"): the offset vector, to
 * tell whether a list (`GET /intents`, with its `position`) already reflects the record that made
 * an emission, and to put the emissions of one node in its order. Browser-safe (atob, no Buffer);
 * nothing else of ours is imported.
 */

interface Decoded {
  /** format version and topics hash, bytes 0..4 */
  readonly head: string;
  readonly offsets: readonly number[];
  /** the emission number of a partially covered record; null: the record's last emission */
  readonly partialIndex: number | null;
}

function decode(position: string): Decoded | null {
  let bin: string;
  try {
    bin = atob(position.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (position.length % 4)) % 4));
  } catch {
    return null;
  }
  if (bin.length < 6 || bin.charCodeAt(0) !== 1) return null;
  let i = 5;
  const varint = (): number | null => {
    let v = 0;
    let mul = 1;
    while (i < bin.length) {
      const b = bin.charCodeAt(i++);
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    return null;
  };
  const n = varint();
  if (n === null || n > bin.length) return null;
  const offsets: number[] = [];
  for (let k = 0; k < n; k++) {
    const v = varint();
    if (v === null) return null;
    offsets.push(v);
  }
  const partial = varint();
  const partialIndex = partial === null || partial === 0 ? null : varint();
  return { head: bin.slice(0, 5), offsets, partialIndex };
}

/**
 * Does the state at position `list` include the record that made the emission at `emission`?
 * An emission's position is the node's offset vector just after its record, so it is included
 * when no partition of it is beyond the list's. Exact for positions of one node (its vector only
 * grows); for two nodes, an emission that is not provably included counts as not included.
 */
export function includes(list: string, emission: string): boolean {
  const a = decode(list);
  const b = decode(emission);
  if (a === null || b === null || a.head !== b.head) return false;
  for (let s = 0; s < b.offsets.length; s++) if ((b.offsets[s] ?? 0) > (a.offsets[s] ?? 0)) return false;
  return true;
}

/**
 * Orders emissions of one node as it made them: its offset vector only grows, one slot by one
 * per record, so the sum of the offsets numbers the records; within a record, the partial index
 * numbers its emissions (the last one has none). Emissions without a position come first.
 */
export function compareEmissions(a: string | undefined, b: string | undefined): number {
  const x = a === undefined ? null : decode(a);
  const y = b === undefined ? null : decode(b);
  if (x === null || y === null) return x === null ? (y === null ? 0 : -1) : 1;
  const sum = (d: Decoded): number => d.offsets.reduce((t, o) => t + o, 0);
  return sum(x) - sum(y) || (x.partialIndex ?? Number.MAX_SAFE_INTEGER) - (y.partialIndex ?? Number.MAX_SAFE_INTEGER);
}
