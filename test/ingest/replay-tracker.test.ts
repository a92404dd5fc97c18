import { describe, expect, it } from 'vitest';
import { ReplayTracker } from '../../src/ingest/replay-tracker.js';

const range = (topic: string, partition: number, low: number, high: number) => ({ topic, partition, low: BigInt(low), high: BigInt(high) });

describe('ReplayTracker', () => {
  it('is caught up once every partition reached the end offset it had at start', () => {
    const t = new ReplayTracker([range('l', 0, 0, 10), range('l', 1, 5, 5), range('p', 0, 3, 7)]);
    expect(t.reachedTargets).toBe(false);
    t.advance('l', 0, 10n, 10);
    expect(t.reachedTargets).toBe(false);
    t.advance('p', 0, 7n, 4);
    expect(t.reachedTargets).toBe(true);
    expect(t.progress(true)).toMatchObject({ caughtUp: true, recordsRead: 14, recordsToReplay: 14 });
  });

  it('never moves a position back and reports lag inputs per partition, sorted', () => {
    const t = new ReplayTracker([range('p', 0, 0, 4), range('l', 1, 2, 9), range('l', 0, 0, 3)]);
    t.advance('l', 1, 6n, 4);
    t.advance('l', 1, 4n, 0); // a re-fetch of older records
    t.observeHigh('l', 1, 12n);
    t.observeHigh('l', 1, 11n);
    expect(t.position('l', 1)).toBe(6n);
    expect(t.progress(false).partitions).toEqual([
      { topic: 'l', partition: 0, position: '0', target: '3', high: '3' },
      { topic: 'l', partition: 1, position: '6', target: '9', high: '12' },
      { topic: 'p', partition: 0, position: '0', target: '4', high: '4' },
    ]);
  });

  it('starts a partition that appeared later at 0 without holding up catch-up', () => {
    const t = new ReplayTracker([range('l', 0, 0, 0)]);
    expect(t.position('l', 7)).toBeUndefined();
    expect(t.ensure('l', 7)).toBe(0n);
    expect(t.reachedTargets).toBe(true);
    expect(t.partitionCount).toBe(2);
  });
});
