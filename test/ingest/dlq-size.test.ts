/**
 * Dead letters cut to fit the DLQ topic (src/ingest/dlq-size.ts): the value is shortened or
 * dropped, `dlq.value.truncated` holds its original size, the key and source headers stay.
 */
import { describe, expect, it } from 'vitest';
import { fitDeadLetter, messageBytes, TRUNCATED_HEADERS } from '../../src/ingest/dlq-size.js';

const headers = { 'trace-id': 't-1', 'dlq.source.topic': 'in', 'dlq.reason': 'not JSON' };

describe('fitDeadLetter', () => {
  it('leaves a dead letter that fits as it is', () => {
    const m = { key: Buffer.from('k'), value: Buffer.from('v'.repeat(100)), headers };
    expect(fitDeadLetter(m, 10_000)).toBe(m);
  });

  it('cuts the value of one that does not, keeping key and headers, and says how big it was', () => {
    const m = { key: Buffer.from('key-1'), value: Buffer.alloc(1_048_400, 0x78), headers };
    const fitted = fitDeadLetter(m, 1_048_588);
    expect(messageBytes(fitted)).toBeLessThanOrEqual(1_048_588);
    expect(fitted.key).toEqual(m.key);
    expect(fitted.headers).toEqual({ ...headers, [TRUNCATED_HEADERS.value]: '1048400' });
    expect(fitted.value!.length).toBeGreaterThan(1_040_000);
    expect(fitted.value!.equals(m.value.subarray(0, fitted.value!.length))).toBe(true);
  });

  it('drops the value when there is no room for any of it, then cuts the key', () => {
    const big = { key: Buffer.alloc(5000, 0x6b), value: Buffer.alloc(5000), headers };
    const noValue = fitDeadLetter(big, messageBytes({ ...big, value: null, headers: { ...headers, [TRUNCATED_HEADERS.value]: '5000' } }));
    expect(noValue.value).toBeNull();
    expect(noValue.key).toEqual(big.key);
    const cut = fitDeadLetter(big, 2000);
    expect(messageBytes(cut)).toBeLessThanOrEqual(2000);
    expect(cut.headers[TRUNCATED_HEADERS.key]).toBe('5000');
    expect(cut.headers['trace-id']).toBe('t-1');
  });
});
