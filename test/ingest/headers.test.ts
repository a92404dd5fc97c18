import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../src/ingest/decode.js';
import { DLQ_HEADERS, deadLetterSource } from '../../src/ingest/dlq-headers.js';
import { headerValue } from '../../src/ingest/headers.js';

describe('reading record headers (src/ingest/headers.ts)', () => {
  it('gives a single value as a UTF-8 string, whether kafkajs gave a Buffer or a string', () => {
    expect(headerValue({ a: Buffer.from('é1') }, 'a')).toBe('é1');
    expect(headerValue({ a: 'x' }, 'a')).toBe('x');
    expect(headerValue({}, 'a')).toBeUndefined();
    expect(headerValue(undefined, 'a')).toBeUndefined();
  });

  it('takes the last value of a repeated header', () => {
    expect(headerValue({ a: [Buffer.from('first'), Buffer.from('last')] }, 'a')).toBe('last');
    expect(headerValue({ a: [] }, 'a')).toBeUndefined();
  });

  it('the same rule for a binary CloudEvent and for a dead letter’s source', () => {
    const headers = {
      ce_specversion: '1.0',
      ce_id: [Buffer.from('ignored'), Buffer.from('evt-1')],
      ce_type: 'intent.cancelled',
      ce_subject: `0x${'ab'.repeat(32)}`,
      ce_time: '2027-01-01T00:00:00.000Z',
    };
    const decoded = decodeRecord({ value: JSON.stringify({ reason: 'user' }), headers });
    expect(decoded.ok && decoded.event.eventId).toBe('evt-1');
    expect(
      deadLetterSource({
        [DLQ_HEADERS.topic]: ['old', 'intents.lifecycle'],
        [DLQ_HEADERS.partition]: ['9', '2'],
        [DLQ_HEADERS.offset]: '41',
      }),
    ).toEqual({ topic: 'intents.lifecycle', partition: 2, offset: '41' });
  });
});
