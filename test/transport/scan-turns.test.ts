import { describe, expect, it } from 'vitest';
import { ScanTurns } from '../../src/transport/scan-turns.js';

describe('ScanTurns', () => {
  it('runs one scan per turn of the event loop, in order: work queued meanwhile runs between two scans', async () => {
    const turns = new ScanTurns();
    const order: string[] = [];
    const first = turns.run(() => {
      order.push('scan 1');
      setImmediate(() => order.push('other work'));
      return 1;
    });
    const second = turns.run(() => {
      order.push('scan 2');
      return 2;
    });
    expect(order).toEqual([]); // nothing runs in the caller's turn
    expect(turns.waiting).toBe(2);
    expect(await first).toBe(1);
    expect(await second).toBe(2);
    expect(order).toEqual(['scan 1', 'other work', 'scan 2']);
    expect(turns.scans).toBe(2);
  });

  it('skips a scan whose requester left by its turn (resolves undefined), and passes on what a scan throws', async () => {
    const turns = new ScanTurns();
    let left = false;
    const ran: string[] = [];
    const gone = turns.run(
      () => {
        ran.push('gone');
        return 1;
      },
      () => left,
    );
    const failing = turns.run(() => {
      throw new Error('scan failed');
    });
    const after = turns.run(() => {
      ran.push('after');
      return 3;
    });
    left = true;
    expect(await gone).toBeUndefined();
    await expect(failing).rejects.toThrow('scan failed');
    expect(await after).toBe(3);
    expect(ran).toEqual(['after']);
    expect(turns.scans).toBe(2);
  });
});
