/**
 * Diff → emissions: which event goes to which room with which payload (docs/contract.md § Socket.IO).
 * Pure: reads only the diff (never compares states) and takes the emission time as a parameter.
 * The transport delivers each emission with one broadcast, so a payload is serialised once per
 * room, not once per socket. Payloads get their `position` when they are delivered (stream.ts):
 * the emissions of one record differ only in it.
 */
import { ALL_INTENTS_ROOM, intentRoom, type RoomEvent, type ServerToClientEvents } from '../contract/socket.js';
import type { Diff } from '../reduce/diff.js';
import type { Projection } from '../reduce/projection.js';
import { formatIntent, formatProof, formatSettlementProof } from './format.js';

type Payload<E extends RoomEvent> = Parameters<ServerToClientEvents[E]>[0];

/** The fields of an intent that filters match on (filters.ts). */
export type FilterFields = Pick<Projection, 'user' | 'solver' | 'fromChain' | 'toChain'>;

/** Where an emission goes: what a subscription decides on (subscriptions.ts `wantsOf`), payload aside. */
export interface Routed {
  /** one or more rooms; a socket in several of them receives the emission once */
  readonly rooms: readonly string[];
  readonly event: RoomEvent;
  /** the intent the emission is about (after the change; before it for a removal): filters match on it */
  readonly intent: FilterFields;
}

export type Emission = {
  [E in RoomEvent]: {
    readonly rooms: readonly string[];
    readonly event: E;
    /** the payload without its `position` */
    readonly payload: Omit<Payload<E>, 'position'>;
    readonly intent: FilterFields;
  };
}[RoomEvent];

/** An emission with its position: what a room broadcast carries. */
export type PositionedEmission = {
  [E in RoomEvent]: {
    readonly rooms: readonly string[];
    readonly event: E;
    readonly payload: Payload<E>;
    readonly intent: FilterFields;
  };
}[RoomEvent];

const INTENT_ROOM_ONLY = new Set<RoomEvent>(['intent:status', 'intent:proof', 'intent:settlement_proof']);

/**
 * The rooms of an event about an intent: its own room, the all-intents room, or both (a removal).
 * A function of the event alone, so the resume window stores only the event (resume-window.ts).
 */
export function roomsOf(event: RoomEvent, intentId: string): readonly string[] {
  if (event === 'intent:removed') return [intentRoom(intentId), ALL_INTENTS_ROOM];
  return INTENT_ROOM_ONLY.has(event) ? [intentRoom(intentId)] : ALL_ROOM_ONLY;
}
const ALL_ROOM_ONLY: readonly string[] = [ALL_INTENTS_ROOM];

export function withPosition(e: Emission, position: string): PositionedEmission {
  return { ...e, payload: { ...e.payload, position } } as PositionedEmission;
}

export function emissionsFor(diff: Diff, timestamp: number): Emission[] {
  switch (diff.kind) {
    case 'removed': {
      const payload = { intentId: diff.intentId, timestamp };
      return [{ rooms: roomsOf('intent:removed', diff.intentId), event: 'intent:removed', payload, intent: diff.previous }];
    }
    case 'created':
    case 'updated': {
      const p = diff.projection;
      const room = roomsOf('intent:status', p.intentId);
      const all = roomsOf('intent:new', p.intentId);
      const formatted = formatIntent(p, timestamp);
      const out: Emission[] = [{ rooms: room, event: 'intent:status', payload: formatted, intent: p }];
      if (diff.kind === 'created') {
        out.push({ rooms: all, event: 'intent:new', payload: formatted, intent: p });
      } else if (diff.status !== null) {
        out.push({
          rooms: all,
          event: 'intent:status_changed',
          payload: { ...formatted, oldStatus: diff.status.from },
          intent: p,
        });
      }
      if (diff.proof !== null) {
        const proof = formatProof(p, diff.proof, timestamp);
        out.push({ rooms: room, event: 'intent:proof', payload: proof, intent: p });
        out.push({ rooms: all, event: 'intent:proof_changed', payload: proof, intent: p });
      }
      if (diff.settlement !== null) {
        out.push({
          rooms: room,
          event: 'intent:settlement_proof',
          payload: formatSettlementProof(p.intentId, diff.settlement, timestamp),
          intent: p,
        });
      }
      return out;
    }
    default: {
      const never: never = diff;
      throw new Error(`unknown diff ${JSON.stringify(never)}`);
    }
  }
}
