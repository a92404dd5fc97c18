/**
 * The filters of `followFilter` (src/client/index.ts): the fields the server filters on
 * (`subscribe:intents`: user, solver, fromChain, toChain) plus `status`, which `GET /intents`
 * filters on and the client applies itself to what the subscription receives (the server's
 * filter rooms do not take a status: an intent changes status and must then leave the view).
 */
import type { FrontendStatus } from '../contract/status.js';

export interface IntentFilter {
  readonly user?: string;
  readonly solver?: string;
  readonly fromChain?: number;
  readonly toChain?: number;
  /** the normalised frontend status (docs/contract.md § Status model) */
  readonly status?: FrontendStatus;
}

export type ServerFilter = Omit<IntentFilter, 'status'>;

const SERVER_FIELDS = ['user', 'solver', 'fromChain', 'toChain'] as const;

/** The part the server filters on, in its canonical order; null when the filter gives none of it. */
export function serverPart(f: IntentFilter): ServerFilter | null {
  const out: Record<string, string | number> = {};
  for (const k of SERVER_FIELDS) if (f[k] !== undefined) out[k] = f[k];
  return Object.keys(out).length === 0 ? null : (out as ServerFilter);
}

/** Equality on every server field the filter gives (payloads without a field are not judged on it). */
export function matchesServer(f: ServerFilter | null, payload: object): boolean {
  if (f === null) return true;
  const p = payload as Record<string, unknown>;
  for (const k of SERVER_FIELDS) if (f[k] !== undefined && k in p && p[k] !== f[k]) return false;
  return true;
}

/** A whole intent against the whole filter. */
export function matchesView(f: IntentFilter, intent: { readonly status: FrontendStatus } & object): boolean {
  return matchesServer(serverPart(f), intent) && (f.status === undefined || intent.status === f.status);
}

/** The query string of `GET /intents` for the filter. */
export function listQuery(f: IntentFilter): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== undefined) q.set(k, String(v));
  return q;
}
