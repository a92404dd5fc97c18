/**
 * The codecs registered with kafkajs (src/ingest/codecs.ts). The integration test
 * (compression.int.test.ts) reads batches the Java client wrote; here, the framings one by one.
 */
import kafkajs from 'kafkajs';
import { compressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { lz4Codec, registerCodecs, snappyCodec, snappyDecompress, zstdCodec } from '../../src/ingest/codecs.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;
const text = Buffer.from('intent.submitted '.repeat(500));

/** xerial snappy-java stream framing: magic, version 1, compatible 1, then length-prefixed blocks */
function xerial(...blocks: Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts = blocks.flatMap((b) => {
    const c = compressSync(b);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(c.length);
    return [len, c];
  });
  return Buffer.concat([header, ...parts]);
}

describe('codecs', () => {
  it('snappy reads raw blocks and xerial-framed streams of several blocks', async () => {
    expect(snappyDecompress(compressSync(text))).toEqual(text);
    expect(snappyDecompress(xerial(text.subarray(0, 3000), text.subarray(3000)))).toEqual(text);
    expect(await snappyCodec.decompress(await snappyCodec.compress({ buffer: text }))).toEqual(text);
  });

  it('snappy refuses a truncated xerial stream', () => {
    const framed = xerial(text);
    expect(() => snappyDecompress(framed.subarray(0, framed.length - 5))).toThrow(/truncated/);
  });

  it('lz4 round-trips the frame format', async () => {
    expect(await lz4Codec.decompress(await lz4Codec.compress({ buffer: text }))).toEqual(text);
  });

  it('zstd decompresses a frame (made by hand: a raw block) and says it does not compress', async () => {
    // frame: magic, descriptor (single segment, 1-byte content size), size, one last raw block
    const payload = Buffer.from('hello zstd');
    const blockHeader = (payload.length << 3) | 1; // last block, raw
    const frame = Buffer.concat([
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, payload.length]),
      Buffer.from([blockHeader & 0xff, (blockHeader >> 8) & 0xff, (blockHeader >> 16) & 0xff]),
      payload,
    ]);
    expect(await zstdCodec.decompress(frame)).toEqual(payload);
    await expect(zstdCodec.compress({ buffer: payload })).rejects.toThrow(/only reads zstd/);
  });

  it('registerCodecs puts them where kafkajs looks them up', () => {
    registerCodecs();
    expect(CompressionCodecs[CompressionTypes.Snappy]()).toBe(snappyCodec);
    expect(CompressionCodecs[CompressionTypes.LZ4]()).toBe(lz4Codec);
    expect(CompressionCodecs[CompressionTypes.ZSTD]()).toBe(zstdCodec);
  });
});
