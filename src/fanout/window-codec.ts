/**
 * How the resume window (resume-window.ts) stores one record's emissions: as JSON text, the
 * form Socket.IO sends them in anyway, instead of the payload objects and the projection they
 * were made from (docs/resume.md § "What an entry costs"). Two parts, so that a resume decides
 * which emissions a subscription wants without parsing the payloads:
 *
 *   head      `[intentId, user, solver, fromChain, toChain, event, event, ...]`: what routes
 *             the emissions (rooms follow from the event, emissions.ts `roomsOf`; filters match
 *             on the four fields, which the emissions of one record share: they are about one
 *             intent)
 *   payloads  `[p0, p1, ...]`, each either the payload object, or `j` (the same payload as
 *             emission j: `intent:status` and `intent:new`), or `[j, extra]` (emission j's payload
 *             with `extra`'s keys after its own: `intent:status_changed` is `intent:status` plus
 *             `oldStatus`)
 *
 * Decoding gives payloads equal to the ones encoded, keys in the same order, so the JSON a
 * client receives on a resume is the JSON it would have received live (positions aside).
 * Pure.
 */
import type { RoomEvent } from '../contract/socket.js';
import { roomsOf, type Emission, type FilterFields, type Routed } from './emissions.js';

/** The routing part of an entry, decoded. */
export interface EntryHead {
  readonly intentId: string;
  readonly routed: readonly Routed[];
}

type Json = Record<string, unknown>;

/** FNV-1a 32 of an intent id: which entries a one-intent resume reads (equal ids, equal hashes). */
export function intentHash(intentId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < intentId.length; i++) h = Math.imul(h ^ intentId.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function encodeHead(es: readonly Emission[]): string {
  const first = es[0];
  if (first === undefined) return '[]';
  const intentId = first.payload.intentId;
  const i = first.intent;
  return JSON.stringify([intentId, i.user, i.solver, i.fromChain, i.toChain, ...es.map((e) => e.event)]);
}

export function decodeHead(text: string): EntryHead {
  const h = JSON.parse(text) as unknown[];
  const intentId = h[0] as string;
  const intent: FilterFields = {
    user: h[1] as string | null,
    solver: h[2] as string | null,
    fromChain: h[3] as number | null,
    toChain: h[4] as number | null,
  };
  const routed: Routed[] = [];
  for (let k = 5; k < h.length; k++) {
    const event = h[k] as RoomEvent;
    routed.push({ rooms: roomsOf(event, intentId), event, intent });
  }
  return { intentId, routed };
}

export function encodePayloads(es: readonly Emission[]): string {
  const parts: string[] = [];
  for (let k = 0; k < es.length; k++) {
    const p = es[k]!.payload as Json;
    let part: string | null = null;
    for (let j = 0; j < k && part === null; j++) {
      const q = es[j]!.payload as Json;
      if (q === p) part = String(j);
      else {
        const extra = extension(q, p);
        if (extra !== null) part = `[${j},${JSON.stringify(extra)}]`;
      }
    }
    parts.push(part ?? JSON.stringify(p));
  }
  return `[${parts.join(',')}]`;
}

/** The payloads (without positions), emission by emission; a payload may be shared by two emissions. */
export function decodePayloads(text: string): Json[] {
  const parts = JSON.parse(text) as unknown[];
  const out: Json[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(out[part]!);
    else if (Array.isArray(part)) out.push({ ...out[part[0] as number]!, ...(part[1] as Json) });
    else out.push(part as Json);
  }
  return out;
}

/**
 * `p` is `{...q, ...extra}` with `extra`'s keys new (so after q's, in that order): then `extra`,
 * else null.
 */
function extension(q: Json, p: Json): Json | null {
  const qk = Object.keys(q);
  const pk = Object.keys(p);
  if (pk.length <= qk.length) return null;
  for (let i = 0; i < qk.length; i++) if (pk[i] !== qk[i] || p[qk[i]!] !== q[qk[i]!]) return null;
  const extra: Json = {};
  for (let i = qk.length; i < pk.length; i++) extra[pk[i]!] = p[pk[i]!];
  return extra;
}
