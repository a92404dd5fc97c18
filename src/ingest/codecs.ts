/**
 * The compression codecs Kafka defines, registered with kafkajs (which ships only gzip): record
 * batches written by any producer are read whatever their `compression.type` (docs/ingestion.md
 * "Compression").
 *
 * | codec  | package            | how                                                             |
 * |--------|--------------------|-----------------------------------------------------------------|
 * | gzip   | kafkajs (zlib)     | built in                                                        |
 * | snappy | `snappy` (napi-rs) | raw blocks, and the xerial framing Java producers write         |
 * | lz4    | `lz4-napi`         | the LZ4 frame format Kafka uses for record batches (magic 2)    |
 * | zstd   | `fzstd` (pure JS)  | decompression only: the service never writes zstd               |
 *
 * The native packages ship prebuilt binaries as per-platform optional dependencies of the
 * registry; nothing is downloaded or compiled at install time.
 */
import kafkajs from 'kafkajs';
import { decompress as zstdDecompress } from 'fzstd';
import { compressFrameSync as lz4Compress, decompressFrameSync as lz4Decompress } from 'lz4-napi';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** What kafkajs calls a codec: `compress` gets its encoder (`.buffer`), `decompress` a batch's records. */
interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** `0x82 S N A P P Y 0x00`: the magic of xerial snappy-java's stream framing. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** magic, then a 4-byte version and a 4-byte minimum compatible version */
const XERIAL_HEADER_BYTES = 16;

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * Snappy as Kafka producers write it: a raw snappy block (librdkafka, kafkajs codecs), or xerial
 * framing (the Java client's `SnappyOutputStream`): the 16-byte header, then chunks of a 4-byte
 * big-endian length and a raw snappy block each.
 */
export function snappyDecompress(buffer: Buffer): Buffer {
  if (buffer.length < XERIAL_HEADER_BYTES || !buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return asBuffer(snappyUncompress(buffer, { asBuffer: true }) as Buffer);
  }
  const chunks: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < buffer.length) {
    if (at + 4 > buffer.length) throw new Error('snappy: truncated xerial chunk length');
    const size = buffer.readUInt32BE(at);
    at += 4;
    if (at + size > buffer.length) throw new Error('snappy: truncated xerial chunk');
    chunks.push(snappyUncompress(buffer.subarray(at, at + size), { asBuffer: true }) as Buffer);
    at += size;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export const snappyCodec: Codec = {
  compress: async (encoder) => snappyCompress(encoder.buffer),
  decompress: async (buffer) => snappyDecompress(buffer),
};

export const lz4Codec: Codec = {
  compress: async (encoder) => lz4Compress(encoder.buffer),
  decompress: async (buffer) => lz4Decompress(buffer),
};

export const zstdCodec: Codec = {
  compress: async () => {
    throw new Error('zstd compression is not available: this service only reads zstd batches (src/ingest/codecs.ts)');
  },
  decompress: async (buffer) => asBuffer(zstdDecompress(buffer)),
};

let registered = false;

/** Registers snappy, lz4 and zstd with kafkajs (once; gzip is built in). */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  CompressionCodecs[CompressionTypes.Snappy] = () => snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
}
