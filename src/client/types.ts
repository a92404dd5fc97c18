/**
 * The public types of `intent-projector/client` (src/client/index.ts): handlers, options, the
 * subscription handle. Types only.
 */
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type {
  ErrorPayload,
  FormattedIntent,
  MempoolStatsPayload,
  NotFoundPayload,
  ProofPayload,
  RemovedPayload,
  SettlementProofPayload,
} from '../contract/socket.js';

export type IntentEvent = 'intent:status' | 'intent:new' | 'intent:status_changed';

export interface FollowHandlers {
  /** the whole current state of an intent (`intent:status`, `intent:new`, `intent:status_changed`) */
  intent?(intent: FormattedIntent, event: IntentEvent): void;
  /** `intent:proof` / `intent:proof_changed` */
  proof?(proof: ProofPayload): void;
  settlementProof?(proof: SettlementProofPayload): void;
  removed?(removed: RemovedPayload): void;
  /** filters: an intent of the view stops matching (its status or solver changed) */
  left?(intentId: string): void;
  notFound?(payload: NotFoundPayload): void;
  /** `mempool:stats` (all intents only) */
  stats?(stats: MempoolStatsPayload): void;
  /** the current list (all intents or the filter's): on start with `loadList`, and whenever the stream could not be resumed */
  list?(intents: FormattedIntent[]): void;
  /** each (re)subscription's answer: `resumed` when it asked for `{since}`, `recovered` as the server said */
  subscribed?(info: { readonly resumed: boolean; readonly recovered: boolean }): void;
  /** a refused subscription or a failed list load */
  error?(error: ErrorPayload | Error): void;
}

export interface FollowOptions {
  /** load `GET /intents` (with the filter) before subscribing (all intents and filters only) */
  readonly loadList?: boolean;
}

export interface Subscription {
  /** the position of the last emission this subscription received (or of its list), null before any */
  readonly position: string | null;
  unsubscribe(): void;
}

export interface IntentClientOptions {
  /** the service, e.g. `http://localhost:3000`; the page's own origin in a browser by default */
  readonly url?: string;
  /** `ADMIN_TOKEN`, when the service needs it for `subscribe:all` (and filters on status only) */
  readonly token?: string;
  /** passed to socket.io-client's `io()` */
  readonly socket?: Partial<ManagerOptions & SocketOptions>;
  /** most intents a list reload fetches (pages of at most 500) */
  readonly maxListed?: number;
  /** (un)subscribe messages sent per second at most, default 10 (the server drops what exceeds RATE_LIMIT_PER_SECOND, default 20) */
  readonly sendPerSecond?: number;
  /** a (re)subscription not acknowledged within this long is sent again, default 10000 ms */
  readonly ackTimeoutMs?: number;
}
