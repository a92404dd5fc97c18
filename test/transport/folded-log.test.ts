import { describe, expect, it } from 'vitest';
import { FoldedLog } from '../../src/transport/folded-log.js';

describe('FoldedLog', () => {
  it('writes the first line of a kind, counts the rest within the interval, and says how many the next line left out', () => {
    const written: [Record<string, unknown>, string][] = [];
    let now = 0;
    const log = new FoldedLog(
      { warn: (fields: Record<string, unknown>, msg: string) => written.push([fields, msg]) } as never,
      'leftOut',
      1000,
      () => now,
    );
    log.warn('a', { n: 1 }, 'first a');
    log.warn('a', { n: 2 }, 'second a');
    log.warn('b', { n: 3 }, 'first b');
    now = 999;
    log.warn('a', { n: 4 }, 'third a');
    now = 1000;
    log.warn('a', { n: 5 }, 'fourth a');
    expect(written).toEqual([
      [{ n: 1, leftOut: 0 }, 'first a'],
      [{ n: 3, leftOut: 0 }, 'first b'],
      [{ n: 5, leftOut: 2 }, 'fourth a'],
    ]);
  });
});
