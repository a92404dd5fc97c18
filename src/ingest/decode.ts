/**
 * Record → typed event: the one place untyped input becomes typed (docs/contract.md § Input).
 * Accepts the canonical JSON envelope, CloudEvents 1.0 structured mode (value has `specversion`)
 * and CloudEvents binary mode (`ce_*` headers, value = data). All three give the same event.
 * Never throws: a bad record yields `{ ok: false, reason }` naming the wrong field.
 */
import { z } from 'zod';
import type { TopicRole } from '../config.js';
import { intentEventSchema, type IntentEvent } from '../contract/events.js';
import { headerValue as header, type RecordHeaders } from './headers.js';

/**
 * The envelope schema compiled by zod (`z.compile`): the same schema, validated by generated code
 * (several times faster than the interpreting parser); a record it rejects is parsed again by
 * zod's runtime parser, so error messages are zod's own, as before.
 */
const envelope = z.compile(intentEventSchema);

export interface RawRecord {
  readonly value: Buffer | string | null;
  readonly headers?: RecordHeaders | undefined;
}

export type DecodeFailure = 'not_json' | 'unknown_type' | 'invalid' | 'wrong_topic';

const TYPE_PREFIX: Readonly<Record<TopicRole, string>> = { lifecycle: 'intent.', proofs: 'proof.' };

export type Decoded =
  | { readonly ok: true; readonly event: IntentEvent }
  | { readonly ok: false; readonly kind: DecodeFailure; readonly reason: string };

const CE_NAMES: Readonly<Record<string, string>> = { eventId: 'id', intentId: 'subject', occurredAt: 'time' };

const NOT_JSON: unique symbol = Symbol('not JSON');
let parseError = '';

/** The parsed value, or NOT_JSON (the reason in `parseError`); no result object per record. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    parseError = `value is not JSON: ${(err as Error).message}`;
    return NOT_JSON;
  }
}

/**
 * Decodes one record. With `role`, an event type that does not belong on that topic is refused
 * (`wrong_topic`): the fold's order tolerance relies on each topic carrying only its own types.
 */
export function decodeRecord(record: RawRecord, role?: TopicRole): Decoded {
  const decoded = decodeAny(record);
  if (role === undefined || !decoded.ok || decoded.event.type.startsWith(TYPE_PREFIX[role])) return decoded;
  return {
    ok: false,
    kind: 'wrong_topic',
    reason: `type "${decoded.event.type}" does not belong on the ${role} topic, which carries ${TYPE_PREFIX[role]}* events`,
  };
}

function decodeAny(record: RawRecord): Decoded {
  const text = record.value === null ? '' : record.value.toString();
  const binarySpec = header(record.headers, 'ce_specversion');
  if (binarySpec !== undefined) {
    let data: unknown;
    if (text.length > 0) {
      data = parseJson(text);
      if (data === NOT_JSON) return { ok: false, kind: 'not_json', reason: parseError };
    }
    return fromCloudEvent(
      {
        specversion: binarySpec,
        id: header(record.headers, 'ce_id'),
        type: header(record.headers, 'ce_type'),
        subject: header(record.headers, 'ce_subject'),
        time: header(record.headers, 'ce_time'),
        data,
      },
      'binary CloudEvent header ce_',
    );
  }
  if (text.length === 0) return { ok: false, kind: 'not_json', reason: 'value is empty' };
  const parsed = parseJson(text);
  if (parsed === NOT_JSON) return { ok: false, kind: 'not_json', reason: parseError };
  return decodeValue(parsed);
}

/** Decodes an already-parsed JSON value (canonical envelope or structured CloudEvent). */
export function decodeValue(value: unknown): Decoded {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, kind: 'invalid', reason: 'value must be a JSON object' };
  }
  const obj = value as Record<string, unknown>;
  if ('specversion' in obj) return fromCloudEvent(obj, 'CloudEvent field ');
  return validate(obj, '');
}

function fromCloudEvent(ce: Record<string, unknown>, prefix: string): Decoded {
  if (ce['specversion'] !== '1.0') {
    return { ok: false, kind: 'invalid', reason: `${prefix}specversion: must be "1.0", got ${JSON.stringify(ce['specversion'])}` };
  }
  const canonical = {
    eventId: ce['id'],
    type: ce['type'],
    intentId: ce['subject'],
    occurredAt: ce['time'],
    data: ce['data'],
  };
  return validate(canonical, prefix);
}

function validate(obj: Record<string, unknown>, cePrefix: string): Decoded {
  const result = envelope.safeParse(obj);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0];
  if (issue === undefined) return { ok: false, kind: 'invalid', reason: 'invalid event' };
  const [head, ...rest] = issue.path.map(String);
  if (head === 'type') {
    const type = obj['type'];
    if (typeof type === 'string') return { ok: false, kind: 'unknown_type', reason: `unknown event type "${type}"` };
    return { ok: false, kind: 'invalid', reason: `${cePrefix}type: must be a string naming a known event type` };
  }
  const field =
    cePrefix && head !== undefined && CE_NAMES[head] !== undefined
      ? `${cePrefix}${CE_NAMES[head]}`
      : [head, ...rest].filter((s) => s !== undefined).join('.');
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
  return { ok: false, kind: 'invalid', reason: `${field || 'value'}: ${issue.message}${more}` };
}
