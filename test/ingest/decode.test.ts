/**
 * Kafka record → typed event (docs/contract.md § Input): the canonical envelope, CloudEvents 1.0
 * structured mode and binary mode give the same event; a bad record gives a reason that names
 * the wrong field, in the vocabulary of the form it came in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IntentEventInput } from '../../src/contract/events.js';
import { decodeRecord, type Decoded, type RawRecord } from '../../src/ingest/decode.js';
import { anyWireEventArb } from '../support/histories.js';

const UPPER_ID = `0x${'AB'.repeat(32)}`;
const LOWER_ID = `0x${'ab'.repeat(32)}`;

const canonical = (value: unknown): RawRecord => ({ value: Buffer.from(JSON.stringify(value)) });

/** The same event as a structured-mode CloudEvent. */
function structured(e: IntentEventInput, extra: Record<string, unknown> = {}): RawRecord {
  const ce: Record<string, unknown> = {
    specversion: '1.0',
    id: e.eventId,
    source: '/coordinator',
    type: e.type,
    subject: e.intentId,
    time: e.occurredAt,
    datacontenttype: 'application/json',
    ...extra,
  };
  if ('data' in e && e.data !== undefined) ce['data'] = e.data;
  return canonical(ce);
}

/** The same event as a binary-mode CloudEvent: ce_* headers (Buffers, as kafkajs gives them), value = data. */
function binary(e: IntentEventInput, overrides: Record<string, string | undefined> = {}): RawRecord {
  const headers: Record<string, Buffer> = {};
  const fields: Record<string, string | undefined> = {
    ce_specversion: '1.0',
    ce_id: e.eventId,
    ce_type: e.type,
    ce_subject: e.intentId,
    ce_time: e.occurredAt,
    ce_source: '/coordinator',
    ...overrides,
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) headers[k] = Buffer.from(v);
  const data = 'data' in e ? e.data : undefined;
  return { value: data === undefined ? null : Buffer.from(JSON.stringify(data)), headers };
}

const submitted: IntentEventInput = {
  eventId: '6f1c2c1e-9c59-4a53-9a3e-8f1f3f6b2a10',
  type: 'intent.submitted',
  intentId: UPPER_ID,
  occurredAt: '2026-11-27T10:15:30.123Z',
  data: { fromChain: 1, toChain: 8453, amount: '1000', user: '0xUSER', deadline: 1_900_000_000 },
};

function ok(d: Decoded) {
  if (!d.ok) throw new Error(`expected a decoded event, got ${d.kind}: ${d.reason}`);
  return d.event;
}

function failure(d: Decoded) {
  if (d.ok) throw new Error(`expected a failure, got ${JSON.stringify(d.event)}`);
  return d;
}

describe('decodeRecord: the three forms of one event', () => {
  it('canonical JSON: typed event, intentId lower-cased, occurredAt in epoch ms', () => {
    const e = ok(decodeRecord(canonical(submitted)));
    expect(e).toEqual({
      eventId: submitted.eventId,
      type: 'intent.submitted',
      intentId: LOWER_ID,
      occurredAt: Date.parse('2026-11-27T10:15:30.123Z'),
      data: { fromChain: 1, toChain: 8453, amount: '1000', user: '0xUSER', deadline: 1_900_000_000 },
    });
  });

  it('CloudEvents structured mode gives the same event', () => {
    expect(decodeRecord(structured(submitted))).toEqual(decodeRecord(canonical(submitted)));
  });

  it('CloudEvents binary mode gives the same event', () => {
    expect(decodeRecord(binary(submitted))).toEqual(decodeRecord(canonical(submitted)));
  });

  it('binary mode accepts string and array header values too', () => {
    const r = binary(submitted);
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v], i) => [k, i % 2 === 0 ? String(v) : [v as Buffer]]));
    expect(decodeRecord({ value: r.value, headers })).toEqual(decodeRecord(canonical(submitted)));
  });

  it('binary mode with no value decodes an event without data', () => {
    const e: IntentEventInput = { eventId: 'e1', type: 'proof.requested', intentId: LOWER_ID, occurredAt: '2026-11-27T10:00:00Z' };
    const d = ok(decodeRecord(binary(e)));
    expect(d).toEqual({
      eventId: 'e1',
      type: 'proof.requested',
      intentId: LOWER_ID,
      occurredAt: Date.parse('2026-11-27T10:00:00Z'),
      data: {},
    });
    expect(decodeRecord({ value: Buffer.alloc(0), headers: binary(e).headers })).toEqual(decodeRecord(binary(e)));
  });

  it('a string value works like a Buffer', () => {
    expect(decodeRecord({ value: JSON.stringify(submitted) })).toEqual(decodeRecord(canonical(submitted)));
  });

  it('an offset instant is converted to the same epoch ms', () => {
    const e = ok(decodeRecord(canonical({ ...submitted, occurredAt: '2026-11-27T12:15:30.123+02:00' })));
    expect(e.occurredAt).toBe(Date.parse('2026-11-27T10:15:30.123Z'));
  });

  it('proof.generated: data.proofGeneratedAt becomes epoch ms', () => {
    const e = ok(
      decodeRecord(
        canonical({
          eventId: 'g',
          type: 'proof.generated',
          intentId: LOWER_ID,
          occurredAt: '2026-11-27T10:00:05Z',
          data: { proofGeneratedAt: '2026-11-27T10:00:04.500Z' },
        }),
      ),
    );
    expect(e.type === 'proof.generated' && e.data.proofGeneratedAt).toBe(Date.parse('2026-11-27T10:00:04.500Z'));
  });

  it('unknown extra fields are ignored and never echoed', () => {
    const e = ok(decodeRecord(canonical({ ...submitted, partition: 3, data: { ...submitted.data, memo: 'x' } })));
    expect(e).not.toHaveProperty('partition');
    expect(e.data).not.toHaveProperty('memo');
    const s = ok(decodeRecord(structured(submitted, { traceparent: '00-abc', dataschema: 'x' })));
    expect(s).toEqual(ok(decodeRecord(canonical(submitted))));
  });

  it('every valid event decodes to the same thing in all three forms', () => {
    fc.assert(
      fc.property(anyWireEventArb({ intents: 4 }), (wire) => {
        const a = ok(decodeRecord(canonical(wire)));
        expect(decodeRecord(structured(wire))).toEqual({ ok: true, event: a });
        expect(decodeRecord(binary(wire))).toEqual({ ok: true, event: a });
        expect(a.intentId).toBe(wire.intentId.toLowerCase());
      }),
      { numRuns: 300 },
    );
  });
});

describe('decodeRecord: failures name what is wrong', () => {
  it('not JSON', () => {
    const f = failure(decodeRecord({ value: Buffer.from('{"eventId": ') }));
    expect(f.kind).toBe('not_json');
    expect(f.reason).toMatch(/^value is not JSON/);
  });

  it('an event type on the other topic is refused when the topic role is known', () => {
    expect(failure(decodeRecord(canonical(submitted), 'proofs'))).toMatchObject({
      kind: 'wrong_topic',
      reason: 'type "intent.submitted" does not belong on the proofs topic, which carries proof.* events',
    });
    expect(decodeRecord(canonical(submitted), 'lifecycle')).toEqual(decodeRecord(canonical(submitted)));
  });

  it('an empty or null value', () => {
    expect(failure(decodeRecord({ value: Buffer.alloc(0) }))).toMatchObject({ kind: 'not_json', reason: 'value is empty' });
    expect(failure(decodeRecord({ value: null }))).toMatchObject({ kind: 'not_json', reason: 'value is empty' });
  });

  it.each([['[1,2]'], ['42'], ['"text"'], ['null']])('JSON that is not an object: %s', (text) => {
    expect(failure(decodeRecord({ value: text }))).toMatchObject({ kind: 'invalid', reason: 'value must be a JSON object' });
  });

  it('an unknown event type (canonical and CloudEvent)', () => {
    const bad = { ...submitted, type: 'intent.exploded' } as unknown as IntentEventInput;
    expect(failure(decodeRecord(canonical(bad)))).toMatchObject({ kind: 'unknown_type', reason: 'unknown event type "intent.exploded"' });
    expect(failure(decodeRecord(structured(bad)))).toMatchObject({ kind: 'unknown_type', reason: 'unknown event type "intent.exploded"' });
    expect(failure(decodeRecord(binary(bad)))).toMatchObject({ kind: 'unknown_type' });
  });

  it('a missing type', () => {
    const { type: _type, ...rest } = submitted;
    const f = failure(decodeRecord(canonical(rest)));
    expect(f.kind).toBe('invalid');
    expect(f.reason).toMatch(/^type: /);
  });

  it.each([
    ['missing data.fromChain', { fromChain: undefined }, 'data.fromChain'],
    ['data.fromChain as a string', { fromChain: '1' }, 'data.fromChain'],
    ['data.toChain zero', { toChain: 0 }, 'data.toChain'],
    ['data.amount not decimal', { amount: '1e18' }, 'data.amount: must be a decimal string'],
    ['data.deadline negative', { deadline: -1 }, 'data.deadline'],
  ])('%s', (_name, patch, field) => {
    const bad = { ...submitted, data: { ...submitted.data, ...patch } };
    for (const record of [canonical(bad), structured(bad as IntentEventInput), binary(bad as IntentEventInput)]) {
      const f = failure(decodeRecord(record));
      expect(f.kind).toBe('invalid');
      expect(f.reason.startsWith(field), f.reason).toBe(true);
    }
  });

  it('missing data where it is required', () => {
    const { data: _data, ...rest } = submitted;
    expect(failure(decodeRecord(canonical(rest))).reason).toMatch(/^data: /);
  });

  it('data.side of a refund must be source or destination', () => {
    const f = failure(
      decodeRecord(
        canonical({
          eventId: 'r',
          type: 'intent.refunded',
          intentId: LOWER_ID,
          occurredAt: '2026-11-27T10:00:00Z',
          data: { side: 'both', txHash: '0x1' },
        }),
      ),
    );
    expect(f.reason).toMatch(/^data\.side: /);
  });

  it('canonical envelope fields are named as such', () => {
    expect(failure(decodeRecord(canonical({ ...submitted, intentId: '0x1234' }))).reason).toBe(
      'intentId: must be 0x followed by 64 hex digits',
    );
    expect(failure(decodeRecord(canonical({ ...submitted, occurredAt: 'yesterday' }))).reason).toMatch(/^occurredAt: /);
    expect(failure(decodeRecord(canonical({ ...submitted, occurredAt: '2026-11-27T10:15:30' }))).reason).toMatch(/^occurredAt: /);
    expect(failure(decodeRecord(canonical({ ...submitted, eventId: '' }))).reason).toMatch(/^eventId: /);
    expect(failure(decodeRecord(canonical({ ...submitted, eventId: 'x'.repeat(129) }))).reason).toMatch(/^eventId: /);
  });

  it('structured CloudEvent fields are named by their CloudEvents names', () => {
    const bad = (extra: Record<string, unknown>) => failure(decodeRecord(structured(submitted, extra))).reason;
    expect(bad({ subject: 'not-an-id' })).toBe('CloudEvent field subject: must be 0x followed by 64 hex digits');
    expect(bad({ time: 'noon' })).toMatch(/^CloudEvent field time: /);
    expect(bad({ id: '' })).toMatch(/^CloudEvent field id: /);
    expect(bad({ specversion: '0.3' })).toBe('CloudEvent field specversion: must be "1.0", got "0.3"');
    expect(bad({ type: 42 })).toMatch(/^CloudEvent field type: /);
  });

  it('binary CloudEvent headers are named by their header names', () => {
    const bad = (overrides: Record<string, string | undefined>) => failure(decodeRecord(binary(submitted, overrides))).reason;
    expect(bad({ ce_subject: 'not-an-id' })).toBe('binary CloudEvent header ce_subject: must be 0x followed by 64 hex digits');
    expect(bad({ ce_subject: undefined })).toMatch(/^binary CloudEvent header ce_subject: /);
    expect(bad({ ce_time: 'noon' })).toMatch(/^binary CloudEvent header ce_time: /);
    expect(bad({ ce_id: undefined })).toMatch(/^binary CloudEvent header ce_id: /);
    expect(bad({ ce_specversion: '2.0' })).toBe('binary CloudEvent header ce_specversion: must be "1.0", got "2.0"');
  });

  it('a binary CloudEvent whose value is not JSON', () => {
    const r = binary(submitted);
    expect(failure(decodeRecord({ value: Buffer.from('fromChain=1'), headers: r.headers }))).toMatchObject({ kind: 'not_json' });
  });

  it('several problems: the first is named and the rest counted', () => {
    const f = failure(decodeRecord(canonical({ ...submitted, eventId: '', intentId: 'x' })));
    expect(f.reason).toMatch(/\(and 1 more\)$/);
  });

  it('never throws, whatever the record', () => {
    const header = fc.oneof(fc.string(), fc.constant(undefined), fc.array(fc.string(), { maxLength: 2 }));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.constant(null),
        ),
        fc.option(fc.dictionary(fc.constantFrom('ce_specversion', 'ce_id', 'ce_type', 'ce_subject', 'ce_time', 'x'), header), {
          nil: undefined,
        }),
        (value, headers) => {
          const d = decodeRecord({ value, headers });
          expect(typeof d.ok).toBe('boolean');
          if (!d.ok) expect(d.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
