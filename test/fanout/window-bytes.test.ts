/**
 * The resume window's chunks (src/fanout/window-bytes.ts): text reads back as written, and
 * memory stays at what is kept (plus a chunk being filled and two spare ones) however long
 * entries are appended and released in order: freed chunks are reused.
 */
import { describe, expect, it } from 'vitest';
import { ChunkedBytes } from '../../src/fanout/window-bytes.js';

describe('ChunkedBytes', () => {
  it('reads back what it was given, and reuses freed chunks instead of allocating more', () => {
    const chunk = 4096;
    const bytes = new ChunkedBytes(chunk);
    const kept: { chunk: number; start: number; text: string }[] = [];
    let maxLive = 0;
    for (let i = 0; i < 5000; i++) {
      const text = `{"n":${i},"s":"${'é'.repeat(100 + (i % 7))}"}`;
      bytes.append(text, Buffer.byteLength(text));
      kept.push({ chunk: bytes.lastChunk, start: bytes.lastStart, text });
      // keep the last 40 entries
      if (kept.length > 40) {
        kept.shift();
        bytes.release(kept[0]!.chunk);
      }
      maxLive = Math.max(maxLive, kept[kept.length - 1]!.chunk - kept[0]!.chunk + 1);
    }
    // thousands of chunks' worth written, a handful allocated
    expect(bytes.lastChunk).toBeGreaterThan(200);
    expect(bytes.allocations).toBeLessThanOrEqual(maxLive + 2);
    for (const k of kept) expect(bytes.read(k.chunk, k.start, Buffer.byteLength(k.text))).toBe(k.text);
  });

  it('an entry larger than a chunk gets a chunk of its own', () => {
    const bytes = new ChunkedBytes(64);
    const big = 'x'.repeat(1000);
    bytes.append('small', 5);
    bytes.append(big, 1000);
    expect(bytes.read(bytes.lastChunk, bytes.lastStart, 1000)).toBe(big);
    expect(bytes.read(bytes.lastChunk - 1, 0, 5)).toBe('small');
  });

  it('an entry given in two parts is stored whole in one chunk, the parts one after the other', () => {
    const bytes = new ChunkedBytes(64);
    bytes.append('x'.repeat(40), 40);
    const head = '["é",1]';
    const rest = `[${'"ü"'.repeat(10)}]`;
    const headLength = Buffer.byteLength(head);
    const restLength = Buffer.byteLength(rest);
    // 40 + 9 + 42 bytes do not fit one 64-byte chunk: the whole entry moves to the next
    bytes.append(head, headLength, rest, restLength);
    expect(bytes.lastStart).toBe(0);
    expect(bytes.read(bytes.lastChunk, 0, headLength + restLength)).toBe(head + rest);
    expect(bytes.read(bytes.lastChunk, headLength, restLength)).toBe(rest);
  });
});
