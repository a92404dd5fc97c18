import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkAdminToken, parseIntentId, splitAck } from '../../src/transport/guards.js';
import { TokenBucket } from '../../src/transport/rate-limit.js';
import { StatsBroadcaster } from '../../src/transport/stats-broadcaster.js';
import type { MempoolStatsPayload } from '../../src/contract/socket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the refill rate', () => {
    let now = 0;
    const b = new TokenBucket(5, 10, () => now);
    const burst = Array.from({ length: 12 }, () => b.take());
    expect(burst.filter(Boolean)).toHaveLength(10);
    now += 199;
    expect(b.take()).toBe(false);
    now += 2; // 201 ms: one token
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    now += 60_000; // never more than the burst
    expect(Array.from({ length: 12 }, () => b.take()).filter(Boolean)).toHaveLength(10);
  });
});

describe('StatsBroadcaster', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const stats = (total: number): MempoolStatsPayload => ({
    total,
    submitted: total,
    matched: 0,
    executing: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
  });

  it('sends the first change at once, coalesces the rest to one per interval, and skips unchanged counts', () => {
    vi.useFakeTimers();
    let current = stats(0);
    const sent: { at: number; total: number }[] = [];
    const b = new StatsBroadcaster({
      intervalMs: 1000,
      read: () => current,
      send: (s) => sent.push({ at: Date.now(), total: s.total }),
      now: () => Date.now(),
    });
    const t0 = Date.now();
    b.changed();
    expect(sent).toEqual([{ at: t0, total: 0 }]);
    for (let i = 1; i <= 50; i++) {
      current = stats(i);
      b.changed();
      vi.advanceTimersByTime(10); // 500 ms of changes
    }
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(500);
    expect(sent).toEqual([
      { at: t0, total: 0 },
      { at: t0 + 1000, total: 50 },
    ]);
    // a change that ends where the last broadcast was: nothing sent
    current = stats(51);
    b.changed();
    current = stats(50);
    vi.advanceTimersByTime(5000);
    expect(sent).toHaveLength(2);
    // after a quiet period a change goes out at once
    current = stats(7);
    b.changed();
    expect(sent.at(-1)).toEqual({ at: t0 + 6000, total: 7 });
    b.close();
    current = stats(8);
    b.changed();
    vi.advanceTimersByTime(5000);
    expect(sent).toHaveLength(3);
  });
});

describe('guards', () => {
  it('parseIntentId lower-cases valid ids and names the problem of others', () => {
    const upper = `0x${'AB'.repeat(32)}`;
    expect(parseIntentId(upper)).toEqual({ ok: true, value: upper.toLowerCase() });
    expect(parseIntentId('0x12')).toMatchObject({ ok: false, refusal: { code: 'INVALID_INTENT_ID' } });
    expect(parseIntentId(undefined)).toMatchObject({
      ok: false,
      refusal: { code: 'INVALID_PAYLOAD', message: 'intentId must be a string, got nothing' },
    });
    expect(parseIntentId('x'.repeat(201))).toMatchObject({ ok: false, refusal: { code: 'INVALID_PAYLOAD' } });
  });

  it('splitAck takes a trailing function as the ack', () => {
    const f = (): void => undefined;
    expect(splitAck(['a', f])).toEqual({ args: ['a'], ack: f });
    expect(splitAck(['a'])).toEqual({ args: ['a'], ack: null });
  });

  it('checkAdminToken: open without ADMIN_TOKEN, exact token otherwise', () => {
    expect(checkAdminToken(undefined, {})).toBeNull();
    expect(checkAdminToken('t0k', { token: 't0k' })).toBeNull();
    expect(checkAdminToken('t0k', { token: 't0K' })).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(checkAdminToken('t0k', { token: 't0k0' })).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(checkAdminToken('t0k', null)).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
