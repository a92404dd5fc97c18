/**
 * The resume window's text, outside the JavaScript heap (docs/resume.md § "What an entry costs"):
 * entries are appended as UTF-8 to fixed-size chunks and read back by (chunk, start, length);
 * the window evicts in order, so a chunk is freed once the oldest entry still kept is past it.
 * Memory is the bytes kept plus at most one partly filled chunk and two spare ones; no JavaScript
 * object per entry, so the garbage collector neither traces the window nor sizes the heap after it.
 *
 * Freed chunks are reused, not dropped: a Buffer's memory goes back only when the collector
 * collects its small wrapper object, which (old, as every chunk outlives the young generation)
 * waits for a full collection; V8 starts one for external memory only after tens of MiB more of
 * it, so dropped chunks would pile up to that much on top of the window (docs/resume.md).
 */
export const CHUNK_BYTES = 256 * 1024;
/** freed chunks kept for reuse */
const SPARE_CHUNKS = 2;

export class ChunkedBytes {
  /** chunks[i] is chunk number `first + i` */
  private readonly chunks: Buffer[] = [];
  private readonly spare: Buffer[] = [];
  private allocated = 0;
  private first = 0;
  /** bytes used in the last chunk */
  private used = 0;
  /** where the last `append` put its text */
  lastChunk = 0;
  lastStart = 0;

  constructor(private readonly chunkBytes = CHUNK_BYTES) {}

  /**
   * Appends `text` (`length` = its UTF-8 byte length), and `rest` right after it if given (two parts
   * of one entry, not concatenated first); its place is in lastChunk / lastStart.
   */
  append(text: string, length: number, rest = '', restLength = 0): void {
    const total = length + restLength;
    let last = this.chunks[this.chunks.length - 1];
    if (last === undefined || this.used + total > last.length) {
      last = total <= this.chunkBytes ? this.spare.pop() : undefined;
      if (last === undefined) {
        last = Buffer.allocUnsafeSlow(Math.max(this.chunkBytes, total));
        this.allocated++;
      }
      this.chunks.push(last);
      this.used = 0;
    }
    last.write(text, this.used, length, 'utf8');
    if (restLength > 0) last.write(rest, this.used + length, restLength, 'utf8');
    this.lastChunk = this.first + this.chunks.length - 1;
    this.lastStart = this.used;
    this.used += total;
  }

  read(chunk: number, start: number, length: number): string {
    return this.chunks[chunk - this.first]!.toString('utf8', start, start + length);
  }

  /** Nothing before chunk number `chunk` is read again. */
  release(chunk: number): void {
    const n = Math.min(chunk - this.first, this.chunks.length - 1);
    if (n <= 0) return;
    for (const c of this.chunks.splice(0, n)) if (c.length === this.chunkBytes && this.spare.length < SPARE_CHUNKS) this.spare.push(c);
    this.first += n;
  }

  /** Nothing is read again: keeps only the last chunk, emptied. */
  clear(): void {
    if (this.chunks.length === 0) return;
    this.release(this.first + this.chunks.length - 1);
    this.used = 0;
  }

  /** Chunks allocated so far (the rest were reused). */
  get allocations(): number {
    return this.allocated;
  }
}
