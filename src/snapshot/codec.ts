/**
 * The store's records (src/reduce/store.ts `StoreRecords`) as bytes and back, field for field:
 * the image holds what an `IntentRecord` (src/reduce/record.ts) holds, in the form it holds it
 * (relative times, packed hex strings, the de-duplication entries' 16-bit units), so loading is
 * typed-array reads, one string slice per text field and one record per intent: no JSON, no hex, no
 * re-packing, no per-field conversion. Texts shared between intents (solvers, errors, failure
 * reasons) are stored once (a dictionary), and so are the records' shared values (record.ts
 * `Common`: solver, chains, error, failure reason), shared again after loading.
 *
 * Layout (little-endian; every section starts 8-byte aligned, so number columns are views):
 *   u32 magic, u32 L (live records), u32 T (tombstones), u32 D (dictionary texts),
 *   u32 C (shared values), u32 E (de-duplication entries), f64 lifecycleTime, f64 proofTime,
 *   f64 eventsApplied
 *   numbers  L×f64 per NUMBER_FIELDS (null = NaN)
 *   commons  L×u32: the record's shared values (index + 1 into the C below, 0 = none set)
 *   texts    L×u32 per TEXT_COLUMNS (the intentIds, then TEXT_FIELDS): a text's descriptor (below)
 *   dedup    L×u8 entries per record, then E×5 u16: the entries of every record in turn, as the
 *            arena keeps them (src/reduce/dedup-arena.ts)
 *   tombstones T×f64 removedAt, T×f64 dueFrom, T×u32 descriptors of the packed ids
 *   shared values C×f64 fromChain, C×f64 toChain (null = NaN), then C×u32 per COMMON_TEXTS
 *            (dictionary index + 1, 0 = null)
 *   dictionary D×u32 descriptors
 *   bytes of every text: TEXT_COLUMNS column by column, the tombstone ids, the dictionary
 * A descriptor is the text's byte length, with TWO_BYTE set when its characters are stored as
 * UTF-16 (otherwise one byte each, Latin-1: every packed string is); NULL_TEXT is null.
 *
 * Changing this layout, or what a record holds, changes FORMAT_VERSION in envelope.ts.
 */
import { countOf, DedupArena, UNITS } from '../reduce/dedup-arena.js';
import { type Common, commonOf, IntentRecord, NO_COMMON, small } from '../reduce/record.js';
import type { StoreRecords } from '../reduce/fold-state.js';

const MAGIC = 0x49505338; // "IPS8"
const HEADER_BYTES = 6 * 4 + 3 * 8;

/**
 * number fields of a record (nullable ones as NaN); t0 and removedAt are constructor arguments,
 * removedAt and dedupHorizon are kept in the record's `common` (its own copy when set)
 */
const NUMBER_FIELDS = [
  't0',
  'removedAt',
  'createdAt',
  'updatedAt',
  'matchedAt',
  'completedAt',
  'proofGeneratedAt',
  'proofAt',
  'dedupHorizon',
  'state',
] as const satisfies readonly (keyof IntentRecord)[];
const TEXT_FIELDS = ['blob'] as const satisfies readonly (keyof IntentRecord)[];
/** the de-duplication handle: its entries are stored in the dedup section */
const DEDUP_FIELDS = ['seen'] as const satisfies readonly (keyof IntentRecord)[];
/** text columns: the intentIds (kept by the store beside the records), then TEXT_FIELDS */
const TEXT_COLUMNS = 1 + TEXT_FIELDS.length;
/** the texts of a `Common`, by dictionary reference */
const COMMON_TEXTS = ['solver', 'error', 'failureReason'] as const satisfies readonly (keyof Common)[];

/** derived from `state` (bits, version, the statuses) or `common` (its values) by getters: not stored themselves */
type Derived = 'status' | 'proofStatus' | 'htlcState' | 'bits' | 'version' | keyof Common;
type Stored = (typeof NUMBER_FIELDS | typeof TEXT_FIELDS | typeof DEDUP_FIELDS)[number] | 'common';
/**
 * Compiles only while the lists above name every field of `IntentRecord`: a field added to
 * src/reduce/record.ts must be added here (and FORMAT_VERSION bumped), or snapshots would drop it.
 */
const EVERY_FIELD_STORED: Exclude<keyof IntentRecord, Stored | Derived> extends never ? true : never = true;
void EVERY_FIELD_STORED;
/** likewise for the fields of `Common` */
type CommonStored = (typeof COMMON_TEXTS)[number] | 'fromChain' | 'toChain' | 'removedAt' | 'dedupHorizon';
const EVERY_COMMON_STORED: Exclude<keyof Common, CommonStored> extends never ? true : never = true;
void EVERY_COMMON_STORED;

const NULL_TEXT = 0xffffffff;
const TWO_BYTE = 0x80000000;
const LENGTH = 0x7fffffff;
/** a character Latin-1 cannot hold */
const WIDE = /[\u0100-\uffff]/;

export class SnapshotCorruptError extends Error {
  override readonly name = 'SnapshotCorruptError';
}

const align8 = (n: number): number => (n + 7) & ~7;

interface Counts {
  readonly l: number;
  readonly t: number;
  readonly d: number;
  readonly c: number;
  readonly e: number;
}

/** Byte offset of every fixed-width section, from the counts. */
function layout({ l, t, d, c, e }: Counts) {
  let at = align8(HEADER_BYTES);
  const take = (bytes: number): number => {
    const start = at;
    at = align8(at + bytes);
    return start;
  };
  return {
    numbers: take(l * 8 * NUMBER_FIELDS.length),
    commons: take(l * 4),
    texts: take(l * 4 * TEXT_COLUMNS),
    seenCounts: take(l),
    seenUnits: take(e * UNITS * 2),
    tRemovedAt: take(t * 8),
    tDueFrom: take(t * 8),
    tIds: take(t * 4),
    chains: take(c * 8 * 2),
    commonTexts: take(c * 4 * COMMON_TEXTS.length),
    dict: take(d * 4),
    bytes: at,
  };
}

function descriptor(s: string | null): number {
  if (s === null) return NULL_TEXT;
  return WIDE.test(s) ? TWO_BYTE | (s.length * 2) : s.length;
}

const textBytes = (d: number): number => (d === NULL_TEXT ? 0 : d & LENGTH);

/** The records as bytes. Reads them once; the store must not change meanwhile. */
export function encodeImage(records: StoreRecords): Uint8Array {
  const entries = Array.from(records.live);
  if (entries.length !== records.liveCount) throw new Error(`${entries.length} live records, the store counts ${records.liveCount}`);
  const ids = entries.map(([id]) => id);
  const live = entries.map(([, r]) => r);
  const dict = new Map<string, number>();
  const ref = (s: string | null): number => {
    if (s === null) return 0;
    let i = dict.get(s);
    if (i === undefined) dict.set(s, (i = dict.size + 1));
    return i;
  };
  // the records' shared values, by identity (records share them, see Interner.common)
  const commons = new Map<Common, number>();
  const commonRef = (x: Common): number => {
    if (x === NO_COMMON) return 0;
    let i = commons.get(x);
    if (i === undefined) commons.set(x, (i = commons.size + 1));
    return i;
  };
  const l = live.length;
  const t = records.tombstoneIds.length;
  const descriptors = new Uint32Array(l * TEXT_COLUMNS);
  const text = (c: number, j: number): string | null => (c === 0 ? ids[j]! : live[j]![TEXT_FIELDS[c - 1]!]);
  const seenCounts = new Uint8Array(l);
  let e = 0;
  for (let j = 0; j < l; j++) e += seenCounts[j] = countOf(live[j]!.seen);
  let total = 0;
  for (let c = 0; c < TEXT_COLUMNS; c++) {
    for (let j = 0; j < l; j++) {
      const d = descriptor(text(c, j));
      descriptors[c * l + j] = d;
      total += textBytes(d);
    }
  }
  const idDescriptors = new Uint32Array(t);
  for (let i = 0; i < t; i++) total += textBytes((idDescriptors[i] = descriptor(records.tombstoneIds[i]!)));
  const commonRefs = new Uint32Array(l);
  for (let j = 0; j < l; j++) commonRefs[j] = commonRef(live[j]!.common);
  const shared = [...commons.keys()];
  const nc = shared.length;
  const commonTextRefs = new Uint32Array(nc * COMMON_TEXTS.length);
  for (const [k, f] of COMMON_TEXTS.entries()) for (let i = 0; i < nc; i++) commonTextRefs[k * nc + i] = ref(shared[i]![f]);
  const texts = [...dict.keys()];
  const dictDescriptors = Uint32Array.from(texts, descriptor);
  for (const d of dictDescriptors) total += textBytes(d);

  const o = layout({ l, t, d: texts.length, c: nc, e });
  const ab = new ArrayBuffer(o.bytes + total);
  const buf = Buffer.from(ab);
  const dv = new DataView(ab);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, l, true);
  dv.setUint32(8, t, true);
  dv.setUint32(12, texts.length, true);
  dv.setUint32(16, nc, true);
  dv.setUint32(20, e, true);
  dv.setFloat64(24, records.lifecycleTime, true);
  dv.setFloat64(32, records.proofTime, true);
  dv.setFloat64(40, records.eventsApplied, true);
  const numbers = new Float64Array(ab, o.numbers, l * NUMBER_FIELDS.length);
  for (const [c, f] of NUMBER_FIELDS.entries()) for (let j = 0; j < l; j++) numbers[c * l + j] = live[j]![f] ?? Number.NaN;
  new Uint32Array(ab, o.commons, l).set(commonRefs);
  new Uint32Array(ab, o.texts, descriptors.length).set(descriptors);
  new Uint8Array(ab, o.seenCounts, l).set(seenCounts);
  const units = new Uint16Array(ab, o.seenUnits, e * UNITS);
  for (let j = 0, u = 0; j < l; j++) u += records.dedup.copyOut(live[j]!.seen, units, u);
  new Float64Array(ab, o.tRemovedAt, t).set(records.tombstoneRemovedAt);
  new Float64Array(ab, o.tDueFrom, t).set(records.tombstoneDueFrom);
  new Uint32Array(ab, o.tIds, t).set(idDescriptors);
  const chains = new Float64Array(ab, o.chains, 2 * nc);
  for (let i = 0; i < nc; i++) {
    chains[i] = shared[i]!.fromChain ?? Number.NaN;
    chains[nc + i] = shared[i]!.toChain ?? Number.NaN;
  }
  new Uint32Array(ab, o.commonTexts, commonTextRefs.length).set(commonTextRefs);
  new Uint32Array(ab, o.dict, texts.length).set(dictDescriptors);
  let at = o.bytes;
  const put = (s: string | null, d: number): void => {
    if (s === null) return;
    at += buf.write(s, at, d & TWO_BYTE ? 'utf16le' : 'latin1');
  };
  for (let c = 0; c < TEXT_COLUMNS; c++) for (let j = 0; j < l; j++) put(text(c, j), descriptors[c * l + j]!);
  for (let i = 0; i < t; i++) put(records.tombstoneIds[i]!, idDescriptors[i]!);
  for (const [i, s] of texts.entries()) put(s, dictDescriptors[i]!);
  if (at !== ab.byteLength) throw new Error(`image written to ${at} of ${ab.byteLength} bytes`);
  return new Uint8Array(ab);
}

/** Buffer's own slicers: `toString(encoding, ...)` looks the encoding up on every call. */
type Slicers = Buffer & { latin1Slice(start: number, end: number): string; ucs2Slice(start: number, end: number): string };

/** Reads consecutive texts from `at` on, by their descriptors. */
class TextReader {
  private readonly buf: Slicers;

  constructor(
    buf: Buffer,
    private at: number,
  ) {
    this.buf = buf as Slicers;
  }

  get position(): number {
    return this.at;
  }

  next(d: number): string | null {
    if (d === NULL_TEXT) return null;
    const n = d & LENGTH;
    const start = this.at;
    this.at += n;
    if (this.at > this.buf.length) throw new SnapshotCorruptError('a text runs past the end of the image');
    return d & TWO_BYTE ? this.buf.ucs2Slice(start, this.at) : this.buf.latin1Slice(start, this.at);
  }
}

/**
 * Bytes → the records, ready for `ProjectionStore.fromRecords`. Throws SnapshotCorruptError when
 * the bytes are not a whole image (the envelope's checksum catches corruption before this runs).
 */
export function decodeImage(bytes: Uint8Array): StoreRecords {
  if (bytes.byteLength < HEADER_BYTES) throw new SnapshotCorruptError('image shorter than its header');
  // 8-aligned for the number columns (a Buffer from a Kafka record or a pool need not be)
  let ab: ArrayBuffer;
  let base = 0;
  if (bytes.byteOffset % 8 === 0 && bytes.buffer instanceof ArrayBuffer) {
    ab = bytes.buffer;
    base = bytes.byteOffset;
  } else {
    ab = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(ab).set(bytes);
  }
  const dv = new DataView(ab, base, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new SnapshotCorruptError('not a store image (magic)');
  const l = dv.getUint32(4, true);
  const t = dv.getUint32(8, true);
  const d = dv.getUint32(12, true);
  const nc = dv.getUint32(16, true);
  const e = dv.getUint32(20, true);
  const o = layout({ l, t, d, c: nc, e });
  if (o.bytes > bytes.byteLength) throw new SnapshotCorruptError('image shorter than its sections');
  const buf = Buffer.from(ab, base, bytes.byteLength);
  const numbers = new Float64Array(ab, base + o.numbers, l * NUMBER_FIELDS.length);
  const commonRefs = new Uint32Array(ab, base + o.commons, l);
  const descriptors = new Uint32Array(ab, base + o.texts, l * TEXT_COLUMNS);
  const seenCounts = new Uint8Array(ab, base + o.seenCounts, l);
  const seenUnits = new Uint16Array(ab, base + o.seenUnits, e * UNITS);
  const tRemovedAt = new Float64Array(ab, base + o.tRemovedAt, t);
  const tDueFrom = new Float64Array(ab, base + o.tDueFrom, t);
  const tIds = new Uint32Array(ab, base + o.tIds, t);
  const chains = new Float64Array(ab, base + o.chains, 2 * nc);
  const commonTextRefs = new Uint32Array(ab, base + o.commonTexts, nc * COMMON_TEXTS.length);
  const dictDescriptors = new Uint32Array(ab, base + o.dict, d);

  // where each text column's bytes start
  const columnStart = new Array<number>(TEXT_COLUMNS);
  let at = o.bytes;
  for (let c = 0; c < TEXT_COLUMNS; c++) {
    columnStart[c] = at;
    for (let j = 0; j < l; j++) at += textBytes(descriptors[c * l + j]!);
  }
  const idReader = new TextReader(buf, at);
  const tombstoneIds = new Array<string>(t);
  for (let i = 0; i < t; i++) {
    const id = idReader.next(tIds[i]!);
    if (id === null) throw new SnapshotCorruptError('a tombstone without its id');
    tombstoneIds[i] = id;
  }
  const dictReader = new TextReader(buf, idReader.position);
  const shared = new Array<string>(d);
  for (let i = 0; i < d; i++) {
    const s = dictReader.next(dictDescriptors[i]!);
    if (s === null) throw new SnapshotCorruptError('a null dictionary text');
    shared[i] = s;
  }
  if (dictReader.position !== bytes.byteLength) {
    throw new SnapshotCorruptError(`image is ${bytes.byteLength} bytes, its sections ${dictReader.position}`);
  }
  const readers = columnStart.map((start) => new TextReader(buf, start));
  const [ids, blobs] = readers as [TextReader, TextReader];
  const sharedText = (k: number, i: number): string | null => {
    const r = commonTextRefs[k * nc + i]!;
    if (r === 0) return null;
    const s = shared[r - 1];
    if (s === undefined) throw new SnapshotCorruptError(`dictionary text #${r} out of range`);
    return s;
  };
  const orNull = (v: number): number | null => (Number.isNaN(v) ? null : small(v));
  const commons = new Array<Common>(nc);
  for (let i = 0; i < nc; i++) {
    const from = orNull(chains[i]!);
    const to = orNull(chains[nc + i]!);
    commons[i] = Object.freeze(commonOf(sharedText(0, i), from, to, sharedText(1, i), sharedText(2, i)));
  }
  const num = (c: number, j: number): number | null => orNull(numbers[c * l + j]!);
  const dedup = new DedupArena();
  let unit = 0;
  const live = new Array<readonly [string, IntentRecord]>(l);
  for (let j = 0; j < l; j++) {
    const id = ids.next(descriptors[j]!);
    if (id === null) throw new SnapshotCorruptError('a record without its intentId');
    const r = new IntentRecord(numbers[j]!, null);
    r.createdAt = small(numbers[2 * l + j]!);
    r.updatedAt = small(numbers[3 * l + j]!);
    r.matchedAt = num(4, j);
    r.completedAt = num(5, j);
    r.proofGeneratedAt = num(6, j);
    r.proofAt = num(7, j);
    r.state = small(numbers[9 * l + j]!);
    const c = commonRefs[j]!;
    if (c > nc) throw new SnapshotCorruptError(`shared values #${c} out of range`);
    const common = c === 0 ? NO_COMMON : commons[c - 1]!;
    const removedAt = num(1, j);
    const horizon = num(8, j);
    r.common =
      removedAt === null && horizon === null
        ? common
        : commonOf(common.solver, common.fromChain, common.toChain, common.error, common.failureReason, removedAt, horizon);
    r.blob = blobs.next(descriptors[l + j]!) ?? '';
    const n = seenCounts[j]!;
    if (unit + n * UNITS > seenUnits.length) throw new SnapshotCorruptError('de-duplication entries run past their section');
    try {
      r.seen = dedup.load(seenUnits, unit, n);
    } catch (err) {
      throw new SnapshotCorruptError(err instanceof Error ? err.message : String(err));
    }
    unit += n * UNITS;
    live[j] = [id, r];
  }
  if (unit !== seenUnits.length)
    throw new SnapshotCorruptError(`${seenUnits.length / UNITS} de-duplication entries, the records hold ${unit / UNITS}`);
  return {
    live,
    liveCount: l,
    tombstoneIds,
    tombstoneRemovedAt: tRemovedAt,
    tombstoneDueFrom: tDueFrom,
    lifecycleTime: dv.getFloat64(24, true),
    proofTime: dv.getFloat64(32, true),
    eventsApplied: dv.getFloat64(40, true),
    interned: shared,
    commons,
    dedup,
  };
}
