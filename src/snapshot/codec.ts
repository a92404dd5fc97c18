/**
 * The store image (src/reduce/store.ts `StoreImage`) as bytes: a columnar binary layout, so that
 * loading is a few typed-array views and one object per intent, with no JSON parsing and no
 * per-field decoding work. Strings are dictionary-encoded (solvers, amounts, errors and tx hashes
 * repeat or are unique; each distinct one is decoded once); intent ids are 32 raw bytes.
 *
 * Layout (little-endian; every section starts 8-byte aligned so float columns are views):
 *   u32 magic, u32 N (intents held), u32 L (live), u32 Q (tombstone queue), u32 S (strings),
 *   u32 K (de-duplication keys), f64 lifecycleTime, f64 proofTime, f64 eventsApplied
 *   ids N×32 | kind N×u8 | removedAt N×f64
 *   live: status, proofStatus, htlcState, submittedSeen, seenCount L×u8 each | version L×u32 |
 *         F64_COLUMNS L×f64 each | STRING_COLUMNS L×u32 each (index into strings, 0 = null)
 *   seen K×f64 | seenAt K×f64 | queue ids Q×32 | queue removedAt Q×f64 | queue dueFrom Q×f64
 *   string lengths S×u32 | string bytes (UTF-8)
 * null numbers are NaN (no time, chain or horizon is ever NaN).
 *
 * Changing this layout (or what the store keeps) changes FORMAT_VERSION in envelope.ts.
 */
import type { IntentState, Projection, SettlementProof, TxHashes } from '../reduce/projection.js';
import { EMPTY_TX_HASHES } from '../reduce/projection.js';
import { HTLC_STATES, INTERNAL_STATUSES, PROOF_STATUSES } from '../contract/status.js';
import type { StoreImage, TombstoneEntry } from '../reduce/store.js';
import { TX_KEYS } from '../reduce/record.js';

const MAGIC = 0x49505331; // "IPS1"
const HEADER_BYTES = 6 * 4 + 3 * 8;

const F64_FIELDS = [
  'fromChain',
  'toChain',
  'createdAt',
  'updatedAt',
  'matchedAt',
  'completedAt',
  'proofGeneratedAt',
  'dedupHorizon',
] as const satisfies readonly (keyof Projection)[];
const PLAIN_STRINGS = ['solver', 'amount', 'user', 'error', 'failureReason'] as const satisfies readonly (keyof Projection)[];
/** string columns: PLAIN_STRINGS, then the settlement proof's proof and verifier, then TX_KEYS */
const PROOF_COL = PLAIN_STRINGS.length;
const VERIFIER_COL = PROOF_COL + 1;
const TX_COL = VERIFIER_COL + 1;
const STRING_COLUMNS = TX_COL + TX_KEYS.length;
/** f64 columns: F64_FIELDS, then the settlement proof's generatedAt (NaN: no proof) */
const SETTLED_COL = F64_FIELDS.length;
const F64_COLUMNS = SETTLED_COL + 1;
const U8_COLUMNS = 5;

const INTENT_ID = /^0x[0-9a-f]{64}$/;

export class SnapshotCorruptError extends Error {
  override readonly name = 'SnapshotCorruptError';
}

const align8 = (n: number): number => (n + 7) & ~7;

interface Sizes {
  readonly n: number;
  readonly l: number;
  readonly q: number;
  readonly k: number;
  readonly s: number;
  readonly stringBytes: number;
}

/** Byte offset of every section, from the counts. */
function layout(z: Sizes) {
  let at = align8(HEADER_BYTES);
  const take = (bytes: number): number => {
    const start = at;
    at = align8(at + bytes);
    return start;
  };
  const ids = take(z.n * 32);
  const kind = take(z.n);
  const removedAt = take(z.n * 8);
  const u8 = take(z.l * U8_COLUMNS);
  const version = take(z.l * 4);
  const f64 = take(z.l * 8 * F64_COLUMNS);
  const str = take(z.l * 4 * STRING_COLUMNS);
  const seen = take(z.k * 8);
  const seenAt = take(z.k * 8);
  const qIds = take(z.q * 32);
  const qAt = take(z.q * 8);
  const qDue = take(z.q * 8);
  const strLen = take(z.s * 4);
  const strBytes = take(z.stringBytes);
  return { ids, kind, removedAt, u8, version, f64, str, seen, seenAt, qIds, qAt, qDue, strLen, strBytes, total: at };
}

/** The typed-array views of the fixed-width columns, over an image laid out by `layout`. */
function columns(ab: ArrayBuffer, o: ReturnType<typeof layout>, z: Sizes) {
  return {
    kind: new Uint8Array(ab, o.kind, z.n),
    removedAt: new Float64Array(ab, o.removedAt, z.n),
    u8: new Uint8Array(ab, o.u8, z.l * U8_COLUMNS),
    version: new Uint32Array(ab, o.version, z.l),
    f64: new Float64Array(ab, o.f64, z.l * F64_COLUMNS),
    str: new Uint32Array(ab, o.str, z.l * STRING_COLUMNS),
    seen: new Float64Array(ab, o.seen, z.k),
    seenAt: new Float64Array(ab, o.seenAt, z.k),
    qAt: new Float64Array(ab, o.qAt, z.q),
    qDue: new Float64Array(ab, o.qDue, z.q),
  };
}

function writeId(buf: Buffer, at: number, id: string): void {
  if (!INTENT_ID.test(id)) throw new Error(`cannot snapshot intent id ${JSON.stringify(id)}: not 0x + 64 lower-case hex digits`);
  buf.write(id.slice(2), at, 32, 'hex');
}

/** The image as bytes (uncompressed). Reads the image once; the store must not change meanwhile. */
export function encodeImage(image: StoreImage): Uint8Array {
  const entries = Array.from(image.states);
  const queue = Array.from(image.tombstoneQueue);
  const dict = new Map<string, number>();
  const strings: string[] = [];
  let stringBytes = 0;
  const ref = (s: string | null | undefined): number => {
    if (s === null || s === undefined) return 0;
    let i = dict.get(s);
    if (i === undefined) {
      strings.push(s);
      i = strings.length; // 1-based: 0 is null
      dict.set(s, i);
      stringBytes += Buffer.byteLength(s, 'utf8');
    }
    return i;
  };
  let l = 0;
  let k = 0;
  for (const [, state] of entries) {
    if (state.kind !== 'live') continue;
    const p = state.projection;
    l++;
    k += p.seen.length;
    for (const f of PLAIN_STRINGS) ref(p[f]);
    ref(p.settlementProof?.proof);
    ref(p.settlementProof?.verifier);
    for (const t of TX_KEYS) ref(p.txHashes[t]);
  }
  const sizes: Sizes = { n: entries.length, l, q: queue.length, k, s: strings.length, stringBytes };
  const o = layout(sizes);
  const ab = new ArrayBuffer(o.total);
  const buf = Buffer.from(ab);
  const dv = new DataView(ab);
  dv.setUint32(0, MAGIC, true);
  for (const [i, v] of [sizes.n, l, sizes.q, sizes.s, k].entries()) dv.setUint32(4 + i * 4, v, true);
  dv.setFloat64(24, image.lifecycleTime, true);
  dv.setFloat64(32, image.proofTime, true);
  dv.setFloat64(40, image.eventsApplied, true);

  const { kind, removedAt, u8, version, f64, str, seen, seenAt, qAt, qDue } = columns(ab, o, sizes);
  let j = 0;
  let kk = 0;
  entries.forEach(([id, state], i) => {
    writeId(buf, o.ids + i * 32, id);
    removedAt[i] = state.removedAt ?? Number.NaN;
    if (state.kind === 'removed') {
      kind[i] = 1;
      return;
    }
    const p = state.projection;
    u8[j] = INTERNAL_STATUSES.indexOf(p.status);
    u8[l + j] = PROOF_STATUSES.indexOf(p.proofStatus);
    u8[2 * l + j] = HTLC_STATES.indexOf(p.htlcState);
    u8[3 * l + j] = p.submittedSeen ? 1 : 0;
    u8[4 * l + j] = p.seen.length;
    version[j] = p.version;
    for (const [c, f] of F64_FIELDS.entries()) f64[c * l + j] = p[f] ?? Number.NaN;
    for (const [c, f] of PLAIN_STRINGS.entries()) str[c * l + j] = ref(p[f]);
    f64[SETTLED_COL * l + j] = p.settlementProof?.generatedAt ?? Number.NaN;
    str[PROOF_COL * l + j] = ref(p.settlementProof?.proof);
    str[VERIFIER_COL * l + j] = ref(p.settlementProof?.verifier);
    for (const [c, t] of TX_KEYS.entries()) str[(TX_COL + c) * l + j] = ref(p.txHashes[t]);
    for (let x = 0; x < p.seen.length; x++, kk++) {
      seen[kk] = p.seen[x]!;
      seenAt[kk] = p.seenAt[x]!;
    }
    j++;
  });
  queue.forEach((e, i) => {
    writeId(buf, o.qIds + i * 32, e.intentId);
    qAt[i] = e.removedAt;
    qDue[i] = e.dueFrom ?? e.removedAt;
  });
  const strLen = new Uint32Array(ab, o.strLen, sizes.s);
  let at = o.strBytes;
  strings.forEach((s, i) => {
    const n = buf.write(s, at, 'utf8');
    strLen[i] = n;
    at += n;
  });
  return new Uint8Array(ab);
}

/** `count` values of `xs` from `at` as a plain array (Array.from on a typed array goes through its iterator) */
function slice(xs: Float64Array, at: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = xs[at + i]!;
  return out;
}

const num = (v: number): number | null => (Number.isNaN(v) ? null : v);

function enumAt<T>(values: readonly T[], index: number, what: string): T {
  const v = values[index];
  if (v === undefined) throw new SnapshotCorruptError(`unknown ${what} #${index}`);
  return v;
}

/**
 * Bytes → the image, ready for `ProjectionStore.restore`. Throws SnapshotCorruptError when the
 * bytes are not a whole image (the envelope's checksum catches corruption before this runs).
 */
export function decodeImage(bytes: Uint8Array): StoreImage {
  // a private, 8-aligned copy: the float columns become views without per-value reads
  const ab = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(ab).set(bytes);
  if (ab.byteLength < HEADER_BYTES) throw new SnapshotCorruptError('image shorter than its header');
  const dv = new DataView(ab);
  if (dv.getUint32(0, true) !== MAGIC) throw new SnapshotCorruptError('not a store image (magic)');
  const [n, l, q, s, k] = [0, 1, 2, 3, 4].map((i) => dv.getUint32(4 + i * 4, true)) as [number, number, number, number, number];
  const strLenProbe = layout({ n, l, q, k, s, stringBytes: 0 });
  if (strLenProbe.strBytes > ab.byteLength) throw new SnapshotCorruptError('image shorter than its sections');
  const strLen = new Uint32Array(ab, strLenProbe.strLen, s);
  let stringBytes = 0;
  for (let i = 0; i < s; i++) stringBytes += strLen[i]!;
  const o = layout({ n, l, q, k, s, stringBytes });
  if (o.total !== ab.byteLength) throw new SnapshotCorruptError(`image is ${ab.byteLength} bytes, its sections ${o.total}`);
  const buf = Buffer.from(ab);

  const strings: (string | undefined)[] = new Array(s + 1);
  let at = o.strBytes;
  for (let i = 0; i < s; i++) {
    strings[i + 1] = buf.toString('utf8', at, at + strLen[i]!);
    at += strLen[i]!;
  }
  const { kind, removedAt, u8, version, f64, str, seen, seenAt, qAt, qDue } = columns(ab, o, { n, l, q, k, s, stringBytes });
  const string = (col: number, j: number): string | null => {
    const r = str[col * l + j]!;
    if (r === 0) return null;
    const v = strings[r];
    if (v === undefined) throw new SnapshotCorruptError(`string #${r} out of range`);
    return v;
  };
  const txHashes = (j: number): TxHashes => {
    let t: Record<string, string> | null = null;
    for (let c = 0; c < TX_KEYS.length; c++) {
      const v = string(TX_COL + c, j);
      if (v !== null) (t ??= {})[TX_KEYS[c]!] = v;
    }
    return t ?? EMPTY_TX_HASHES;
  };

  const settlement = (j: number): SettlementProof | null => {
    const generatedAt = f64[SETTLED_COL * l + j]!;
    if (Number.isNaN(generatedAt)) return null;
    const proof = string(PROOF_COL, j);
    if (proof === null) throw new SnapshotCorruptError('settlement proof without its proof');
    return { proof, verifier: string(VERIFIER_COL, j), generatedAt };
  };

  const states = new Array<readonly [string, IntentState]>(n);
  let j = 0;
  let kk = 0;
  for (let i = 0; i < n; i++) {
    const id = `0x${buf.toString('hex', o.ids + i * 32, o.ids + i * 32 + 32)}`;
    const removed = num(removedAt[i]!);
    if (kind[i] === 1) {
      if (removed === null) throw new SnapshotCorruptError('tombstone without a removal time');
      states[i] = [id, { kind: 'removed', removedAt: removed }];
      continue;
    }
    if (j >= l) throw new SnapshotCorruptError('more live intents than the image counts');
    const count = u8[4 * l + j]!;
    if (kk + count > k) throw new SnapshotCorruptError('more de-duplication keys than the image counts');
    const projection: Projection = {
      intentId: id,
      status: enumAt(INTERNAL_STATUSES, u8[j]!, 'status'),
      proofStatus: enumAt(PROOF_STATUSES, u8[l + j]!, 'proof status'),
      htlcState: enumAt(HTLC_STATES, u8[2 * l + j]!, 'htlc state'),
      solver: string(0, j),
      fromChain: num(f64[j]!),
      toChain: num(f64[l + j]!),
      amount: string(1, j),
      user: string(2, j),
      settlementProof: settlement(j),
      createdAt: f64[2 * l + j]!,
      submittedSeen: u8[3 * l + j] === 1,
      updatedAt: f64[3 * l + j]!,
      matchedAt: num(f64[4 * l + j]!),
      completedAt: num(f64[5 * l + j]!),
      proofGeneratedAt: num(f64[6 * l + j]!),
      txHashes: txHashes(j),
      error: string(3, j),
      failureReason: string(4, j),
      version: version[j]!,
      seen: slice(seen, kk, count),
      seenAt: slice(seenAt, kk, count),
      dedupHorizon: num(f64[7 * l + j]!),
    };
    kk += count;
    j++;
    states[i] = [id, { kind: 'live', projection, removedAt: removed }];
  }
  const tombstoneQueue = new Array<TombstoneEntry>(q);
  for (let i = 0; i < q; i++) {
    tombstoneQueue[i] = {
      intentId: `0x${buf.toString('hex', o.qIds + i * 32, o.qIds + i * 32 + 32)}`,
      removedAt: qAt[i]!,
      dueFrom: qDue[i]!,
    };
  }
  return {
    states,
    tombstoneQueue,
    lifecycleTime: dv.getFloat64(24, true),
    proofTime: dv.getFloat64(32, true),
    eventsApplied: dv.getFloat64(40, true),
  };
}
