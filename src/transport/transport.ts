/**
 * What the service needs from its transport (Socket.IO + HTTP on one port). `server.ts` builds it.
 */
import type { Server as HttpServer } from 'node:http';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Listable } from '../fanout/list.js';
import type { Stream } from '../fanout/stream.js';
import type { EmissionSink } from '../pipeline.js';
import type { Projection } from '../reduce/projection.js';
import type { MempoolStats } from '../reduce/stats.js';
import type { Metrics } from './metrics.js';

/** Read-only view of the projections. */
export interface ProjectionReader {
  get(intentId: string): Projection | undefined;
  projections(): Iterable<Projection>;
  /** every live intent, fields read when asked (src/reduce/listing.ts): what list scans read */
  listing(): Iterable<Listable>;
  stats(): MempoolStats;
}

export interface Readiness {
  readonly ready: boolean;
  /** why not ready, e.g. "catching up (42%)" or "broker unreachable for 7s" */
  readonly reason: string | null;
  readonly caughtUp: boolean;
  /** how this node started, once caught up (docs/snapshots.md) */
  readonly restore?: {
    readonly from: 'snapshot' | 'replay';
    readonly intents: number;
    readonly recordsReplayed: number;
    readonly seconds: number;
  };
}

export interface TransportDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: ProjectionReader;
  readonly readiness: () => Readiness;
  /** positions and the resume window (the pipeline's) */
  readonly stream: Stream;
  /** emission timestamps; Date.now by default */
  readonly clock?: () => number;
}

export interface Transport extends EmissionSink {
  readonly httpServer: HttpServer;
  /** Listens on config HOST/PORT; resolves with the bound port (PORT=0 picks a free one). */
  listen(): Promise<number>;
  advanced(): void;
  /** The pipeline caught up: answer subscriptions that waited for it. */
  caughtUp(): void;
  /** Disconnects every client and closes the server. */
  close(): Promise<void>;
}
