/**
 * One live intent as a scan over all of them reads it (`ProjectionStore.listing()`): for
 * `GET /intents` and the filter snapshots of `subscribe:intents` (src/fanout/list.ts), which look
 * at every live intent to keep the newest few. Each field is read from the record only when
 * asked, and the intentId (hex text built from its 32 bytes) only for the few a caller keeps or
 * compares on a tie; `projection()` gives the full view.
 *
 * A full view per intent (`viewOf`: the id as text, the settlement proof and transaction hashes
 * unpacked, the de-duplication arrays) costs ~10 µs: a first page over 86,566 intents took most of
 * a second of the event loop that way, and takes ~14 ms this way (BENCHMARKS.md section 10).
 *
 * Valid only until the store next changes: it refers to the record's place in the id table.
 */
import type { IdTable } from './id-table.js';
import type { Projection } from './projection.js';
import { blobGet, type IntentRecord, packedOrNull, USER } from './record.js';

/** What a list query or a filter reads of an intent (the rest is in `projection()`). */
export type ListFields = Pick<
  Projection,
  'intentId' | 'updatedAt' | 'status' | 'proofStatus' | 'htlcState' | 'user' | 'solver' | 'fromChain' | 'toChain'
>;

export class ListedIntent implements ListFields {
  private id: string | undefined;

  constructor(
    private readonly table: IdTable<IntentRecord | null>,
    private readonly at: number,
    private readonly record: IntentRecord,
    private readonly view: (intentId: string) => Projection | undefined,
  ) {}

  get intentId(): string {
    this.id ??= this.table.idAt(this.at);
    return this.id;
  }
  get updatedAt(): number {
    return this.record.t0 + this.record.updatedAt;
  }
  get status(): Projection['status'] {
    return this.record.status;
  }
  get proofStatus(): Projection['proofStatus'] {
    return this.record.proofStatus;
  }
  get htlcState(): Projection['htlcState'] {
    return this.record.htlcState;
  }
  get user(): string | null {
    return packedOrNull(this.record.blob, USER);
  }
  /** Whether the user is `user`, given as `pack(user)` (pack.ts): compared packed, not unpacked (~1 µs each). */
  hasPackedUser(packed: string): boolean {
    return blobGet(this.record.blob, USER) === packed;
  }
  get solver(): string | null {
    return this.record.solver;
  }
  get fromChain(): number | null {
    return this.record.fromChain;
  }
  get toChain(): number | null {
    return this.record.toChain;
  }

  /** The full view (the store's, cached until the intent changes). */
  projection(): Projection {
    const p = this.view(this.intentId);
    if (p === undefined) throw new Error(`intent ${this.intentId} left the store while listed`);
    return p;
  }
}
