/**
 * Public exports of the package `intent-projector`.
 *
 * - The Socket.IO contract (docs/contract.md § Socket.IO): event maps, payload types and zod schemas,
 *   error codes, room names. Frontends can `import type { ServerToClientEvents } from 'intent-projector'`.
 * - The input contract (section 2): event schemas and types.
 * - The building blocks: config, the pure reducer and fan-out, the pipeline, the transport and
 *   the composition root `startService`.
 */
export {
  ALL_INTENTS_ROOM,
  ERROR_CODES,
  FILTER_ROOM_PREFIX,
  ROOM_EVENTS,
  ackSchema,
  intentFilterSchema,
  positionSchema,
  subscribeOptionsSchema,
  errorSchema,
  formattedIntentSchema,
  handshakeRefusalSchema,
  intentRoom,
  mempoolStatsSchema,
  notFoundSchema,
  pongSchema,
  proofPayloadSchema,
  removedSchema,
  serverEventSchemas,
  settlementProofSchema,
  statusChangedSchema,
  txHashesSchema,
} from './contract/socket.js';
export type {
  Ack,
  AckCallback,
  ClientEventName,
  ClientToServerEvents,
  ErrorCode,
  ErrorPayload,
  FormattedIntent,
  HandshakeRefusal,
  IntentFilter,
  MempoolStatsPayload,
  NotFoundPayload,
  PongPayload,
  Position,
  ProofPayload,
  RemovedPayload,
  RoomEvent,
  ServerEventName,
  ServerToClientEvents,
  SettlementProofPayload,
  StatusChangedPayload,
  SubscribeOptions,
} from './contract/socket.js';
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, listQuerySchema, listResponseSchema } from './contract/http.js';
export type { ListQuery, ListResponse } from './contract/http.js';

export {
  EVENT_TYPES,
  LIFECYCLE_TYPES,
  PROOF_TYPES,
  cloudEventSchema,
  eventData,
  intentEventSchema,
  intentIdSchema,
} from './contract/events.js';
export type { EventOf, EventType, IntentEvent, IntentEventInput } from './contract/events.js';

export { CONFIG_VARIABLES, configSchema, loadConfig } from './config.js';
export {
  BrokerUnreachableError,
  ConfigError,
  DeadLetterWriteError,
  MissingTopicError,
  ProjectorError,
  UsageError,
} from './errors.js';
export type { Config, ConfigInput } from './config.js';

export { FRONTEND_STATUSES, HTLC_STATES, INTERNAL_STATUSES, PROOF_STATUSES } from './contract/status.js';
export type { FrontendStatus, HtlcState, InternalStatus, ProofStatus } from './contract/status.js';
export { frontendStatus } from './reduce/status.js';
export type { IntentState, Projection, TxHashes } from './reduce/projection.js';
export type { Diff, CreatedDiff, UpdatedDiff, RemovedDiff, Change } from './reduce/diff.js';
export type { MempoolStats } from './reduce/stats.js';
export { ProjectionStore } from './reduce/store.js';

export { emissionsFor } from './fanout/emissions.js';
export type { Emission } from './fanout/emissions.js';
export { formatIntent, formatProof } from './fanout/format.js';

export { decodeRecord, decodeValue } from './ingest/decode.js';
export type { Decoded, RawRecord } from './ingest/decode.js';
export type { RecordHeaders } from './ingest/headers.js';
export type {
  DeadLetterSink,
  EventSource,
  PartitionProgress,
  ReplayProgress,
  SourceBatch,
  SourceHandlers,
  SourceRecord,
} from './ingest/source.js';

export { Pipeline } from './pipeline.js';
export type { EmissionSink, PipelineHooks } from './pipeline.js';

export { Metrics } from './transport/metrics.js';
export { createTransport, SOCKET_IO_PATH } from './transport/server.js';
export type { SocketTransport, TransportOptions } from './transport/server.js';
export type { IntentServer, IntentSocket } from './transport/socket-handlers.js';
export type { ProjectionReader, Readiness, Transport, TransportDeps } from './transport/transport.js';

export { startService } from './service.js';
export type { Service, ServiceOptions } from './service.js';
export { createLogger } from './log.js';
export type { Logger } from './log.js';
