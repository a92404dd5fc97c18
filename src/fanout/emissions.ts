/**
 * Diff → emissions: which event goes to which room with which payload (docs/contract.md § Socket.IO).
 * Pure: reads only the diff (never compares states) and takes the emission time as a parameter.
 * The transport delivers each emission with one broadcast, so a payload is serialised once per
 * room, not once per socket.
 */
import { ALL_INTENTS_ROOM, intentRoom, type ServerToClientEvents } from '../contract/socket.js';
import type { Diff } from '../reduce/diff.js';
import { formatIntent, formatProof, formatSettlementProof } from './format.js';

export type Emission = {
  [E in keyof ServerToClientEvents]: {
    /** one or more rooms; a socket in several of them receives the emission once */
    readonly rooms: readonly string[];
    readonly event: E;
    readonly payload: Parameters<ServerToClientEvents[E]>[0];
  };
}[keyof ServerToClientEvents];

export function emissionsFor(diff: Diff, timestamp: number): Emission[] {
  switch (diff.kind) {
    case 'removed': {
      const payload = { intentId: diff.intentId, timestamp };
      return [{ rooms: [intentRoom(diff.intentId), ALL_INTENTS_ROOM], event: 'intent:removed', payload }];
    }
    case 'created':
    case 'updated': {
      const p = diff.projection;
      const room = intentRoom(p.intentId);
      const formatted = formatIntent(p, timestamp);
      const out: Emission[] = [{ rooms: [room], event: 'intent:status', payload: formatted }];
      if (diff.kind === 'created') {
        out.push({ rooms: [ALL_INTENTS_ROOM], event: 'intent:new', payload: formatted });
      } else if (diff.status !== null) {
        out.push({
          rooms: [ALL_INTENTS_ROOM],
          event: 'intent:status_changed',
          payload: { ...formatted, oldStatus: diff.status.from },
        });
      }
      if (diff.proof !== null) {
        const proof = formatProof(p, diff.proof, timestamp);
        out.push({ rooms: [room], event: 'intent:proof', payload: proof });
        out.push({ rooms: [ALL_INTENTS_ROOM], event: 'intent:proof_changed', payload: proof });
      }
      if (diff.settlement !== null) {
        out.push({
          rooms: [room],
          event: 'intent:settlement_proof',
          payload: formatSettlementProof(p.intentId, diff.settlement, timestamp),
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
