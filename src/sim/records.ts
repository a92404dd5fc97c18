/**
 * Simulated events → records as a producer writes them: JSON value, keyed by intentId, on the
 * lifecycle or proof topic. Also the deliberately bad records `--malformed` mixes in.
 */
import type { TopicRole } from '../config.js';
import type { SimEvent } from './lifecycle.js';
import { hex, pick, uuid, type Rng } from './prng.js';

export interface SimRecord {
  readonly topic: TopicRole;
  readonly key: string;
  readonly value: string;
}

export function toRecord(e: SimEvent): SimRecord {
  return { topic: e.topic, key: e.event.intentId, value: JSON.stringify(e.event) };
}

export const MALFORMED_KINDS = ['not_json', 'unknown_type', 'bad_intent_id', 'missing_field'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** A record the service must send to the dead-letter topic (never a valid event). */
export function malformedRecord(rng: Rng, now: number): { kind: MalformedKind; record: SimRecord } {
  const kind = pick(rng, MALFORMED_KINDS);
  const intentId = `0x${hex(rng, 64)}`;
  const occurredAt = new Date(now).toISOString();
  const base = { eventId: uuid(rng), intentId, occurredAt };
  let value: string;
  let topic: TopicRole = 'lifecycle';
  switch (kind) {
    case 'not_json':
      value = JSON.stringify({ ...base, type: 'intent.matched', data: { solver: 'x' } }).slice(0, 40);
      break;
    case 'unknown_type':
      value = JSON.stringify({ ...base, type: 'intent.teleported', data: {} });
      break;
    case 'bad_intent_id':
      topic = 'proofs';
      value = JSON.stringify({ ...base, intentId: '0x1234', type: 'proof.requested' });
      break;
    case 'missing_field':
      value = JSON.stringify({ ...base, type: 'intent.submitted', data: { fromChain: 1, toChain: 10 } });
      break;
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
  return { kind, record: { topic, key: intentId, value } };
}
