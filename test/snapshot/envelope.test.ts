/**
 * The envelope recognises a snapshot it must not load: missing or extra chunks, a flipped byte,
 * and one taken by another format or reducer version, from other topics or partition counts.
 */
import { describe, expect, it } from 'vitest';
import { ProjectionStore } from '../../src/reduce/store.js';
import { REDUCER_VERSION } from '../../src/reduce/version.js';
import { decodeImage, encodeImage } from '../../src/snapshot/codec.js';
import { FORMAT_VERSION, incompatibility, openSnapshot, sealSnapshot, type SnapshotHeader } from '../../src/snapshot/envelope.js';
import { decodeAll, generateHistory } from '../support/histories.js';

async function sealedOf(intents: number) {
  const h = generateHistory({ intents, seed: 3 });
  const store = new ProjectionStore();
  store.applyAll(decodeAll([...h.lifecycle, ...h.proof]));
  const meta = {
    id: 's1',
    createdAt: 1,
    reducer: REDUCER_VERSION,
    topics: { lifecycle: 'l', proofs: 'p' },
    positions: [
      { topic: 'l', partition: 0, offset: '10' },
      { topic: 'l', partition: 1, offset: '5' },
      { topic: 'p', partition: 0, offset: '7' },
    ],
    intents: store.size,
    tombstones: store.tombstones,
    eventsApplied: store.eventsApplied,
    stats: store.stats(),
  };
  return { store, sealed: await sealSnapshot(meta, encodeImage(store.exportRecords()), 1024) };
}

describe('snapshot envelope', () => {
  it('opens what it sealed, across many chunks', async () => {
    const { store, sealed } = await sealedOf(300);
    expect(sealed.chunks.length).toBeGreaterThan(3);
    expect(sealed.chunks.every((c) => c.length <= 1024)).toBe(true);
    const restored = ProjectionStore.fromRecords(decodeImage(await openSnapshot(sealed.header, sealed.chunks, sealed.trailer)));
    expect(restored.stats()).toEqual(store.stats());
    expect([...restored.projections()]).toEqual([...store.projections()]);
  });

  it('rejects a missing chunk, a truncated one and a flipped byte, naming why', async () => {
    const { sealed } = await sealedOf(300);
    const { header, chunks, trailer } = sealed;
    await expect(openSnapshot(header, chunks.slice(0, -1), trailer)).rejects.toThrow(/incomplete: \d+ of \d+ chunks/);
    const truncated = [...chunks.slice(0, -1), chunks[chunks.length - 1]!.subarray(1)];
    await expect(openSnapshot(header, truncated, trailer)).rejects.toThrow(/incomplete: \d+ of \d+ bytes/);
    const flipped = chunks.map((c) => Buffer.from(c));
    flipped[1]![17]! ^= 0x40;
    await expect(openSnapshot(header, flipped, trailer)).rejects.toThrow('checksum mismatch (corrupt)');
  });

  it('names what makes a snapshot incompatible, and accepts a compatible one', async () => {
    const { header } = (await sealedOf(5)).sealed;
    const expected = {
      reducer: REDUCER_VERSION,
      topics: { lifecycle: 'l', proofs: 'p' },
      partitionCounts: new Map([
        ['l', 2],
        ['p', 1],
      ]),
    };
    expect(incompatibility(header, expected)).toBeNull();
    const other = (h: Partial<SnapshotHeader>) => incompatibility({ ...header, ...h }, expected);
    expect(other({ format: FORMAT_VERSION + 1 })).toBe(`format version ${FORMAT_VERSION + 1}, this node reads ${FORMAT_VERSION}`);
    expect(other({ reducer: REDUCER_VERSION + 1 })).toBe(`reducer version ${REDUCER_VERSION + 1}, this node folds with ${REDUCER_VERSION}`);
    expect(other({ topics: { lifecycle: 'x', proofs: 'p' } })).toMatch(/^taken from topics x, p/);
    expect(
      incompatibility(header, {
        ...expected,
        partitionCounts: new Map([
          ['l', 3],
          ['p', 1],
        ]),
      }),
    ).toBe('taken with 2 partitions of l, which has 3 now');
  });
});
