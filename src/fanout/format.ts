/** Projection → the payloads of docs/contract.md § Socket.IO. Pure; `timestamp` is passed in. */
import type { FormattedIntent, ProofPayload, SettlementProofPayload } from '../contract/socket.js';
import type { Change } from '../reduce/diff.js';
import type { Projection, SettlementProof } from '../reduce/projection.js';
import { frontendStatus, type ProofStatus } from '../reduce/status.js';

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function formatIntent(p: Projection, timestamp: number): FormattedIntent {
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
    timestamp,
  };
}

export function formatProof(p: Projection, change: Change<ProofStatus>, timestamp: number): ProofPayload {
  return {
    intentId: p.intentId,
    proofStatus: change.to,
    oldProofStatus: change.from,
    proofGeneratedAt: iso(p.proofGeneratedAt),
    timestamp,
  };
}

export function formatSettlementProof(intentId: string, s: SettlementProof, timestamp: number): SettlementProofPayload {
  return { intentId, proof: s.proof, verifier: s.verifier, generatedAt: new Date(s.generatedAt).toISOString(), timestamp };
}
