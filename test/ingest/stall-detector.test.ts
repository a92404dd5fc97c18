/**
 * Stalled partitions (src/ingest/stall-detector.ts): records wait and the position has not moved
 * for the bound. A partition without records waiting, or one that moves, is never stalled.
 */
import { describe, expect, it } from 'vitest';
import type { PartitionProgress } from '../../src/ingest/source.js';
import { StallDetector } from '../../src/ingest/stall-detector.js';

const part = (position: number, high: number, partition = 0): PartitionProgress => ({
  topic: 't',
  partition,
  position: String(position),
  target: '0',
  high: String(high),
});

describe('StallDetector', () => {
  it('reports a partition whose position stays put while records wait, for the bound', () => {
    const d = new StallDetector(1000);
    expect(d.check([part(5, 8)], 0)).toEqual([]);
    expect(d.check([part(5, 8)], 999)).toEqual([]);
    expect(d.check([part(5, 8)], 1000)).toEqual([{ topic: 't', partition: 0, position: '5', waiting: 3, forMs: 1000 }]);
  });

  it('does not report a partition that moves, or has nothing waiting', () => {
    const d = new StallDetector(1000);
    for (let t = 0; t <= 5000; t += 500) expect(d.check([part(t, t + 10), part(7, 7, 1)], t)).toEqual([]);
  });

  it('starts counting when records first wait, and again when the partition moved', () => {
    const d = new StallDetector(1000);
    d.check([part(5, 5)], 0); // idle for long: not a stall when a record arrives
    expect(d.check([part(5, 6)], 10_000)).toEqual([]);
    expect(d.check([part(6, 9)], 10_900)).toEqual([]);
    expect(d.check([part(6, 9)], 11_899)).toEqual([]);
    expect(d.check([part(6, 9)], 11_900)).toHaveLength(1);
    expect(d.check([part(9, 9)], 12_000)).toEqual([]);
  });
});
