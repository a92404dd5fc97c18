/** Projection → the payloads of docs/contract.md § Socket.IO. Pure; `timestamp` is passed in. */
import type { FormattedIntent, ProofPayload, SettlementProofPayload } from '../contract/socket.js';
import type { Change } from '../reduce/diff.js';
import type { Projection, SettlementProof } from '../reduce/projection.js';
import { frontendStatus, type ProofStatus } from '../reduce/status.js';

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

type Unpositioned<T> = Omit<T, 'position'>;

/** The formatted intent without its position (emissions.ts adds it; so do the snapshot answers). */
export function formatIntent(p: Projection, timestamp: number): Unpositioned<FormattedIntent>;
export function formatIntent(p: Projection, timestamp: number, position: string): FormattedIntent;
export function formatIntent(p: Projection, timestamp: number, position?: string): Unpositioned<FormattedIntent> {
  return {
    intentId: p.intentId,
    status: frontendStatus(p.status, p.proofStatus, p.htlcState),
    proofStatus: p.proofStatus,
    solver: p.solver,
    fromChain: p.fromChain,
    toChain: p.toChain,
    amount: p.amount,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    matchedAt: iso(p.matchedAt),
    completedAt: iso(p.completedAt),
    htlcState: p.htlcState,
    txHashes: { ...p.txHashes },
    error: p.error,
    failureReason: p.failureReason,
    version: p.version,
    user: p.user,
    ...(position === undefined ? {} : { position }),
    timestamp,
  };
}

export function formatProof(p: Projection, change: Change<ProofStatus>, timestamp: number): Unpositioned<ProofPayload> {
  return {
    intentId: p.intentId,
    proofStatus: change.to,
    oldProofStatus: change.from,
    proofGeneratedAt: iso(p.proofGeneratedAt),
    timestamp,
  };
}

export function formatSettlementProof(intentId: string, s: SettlementProof, timestamp: number): Unpositioned<SettlementProofPayload>;
export function formatSettlementProof(intentId: string, s: SettlementProof, timestamp: number, position: string): SettlementProofPayload;
export function formatSettlementProof(
  intentId: string,
  s: SettlementProof,
  timestamp: number,
  position?: string,
): Unpositioned<SettlementProofPayload> {
  const generatedAt = new Date(s.generatedAt).toISOString();
  return { intentId, proof: s.proof, verifier: s.verifier, generatedAt, ...(position === undefined ? {} : { position }), timestamp };
}
