/**
 * Prometheus metrics (docs/contract.md § HTTP), one registry per service instance so several
 * instances can live in one process (tests). Names are documented in docs/socket-io.md.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly eventsApplied = new Counter({
    name: 'intent_projector_events_applied_total',
    help: 'Events folded into projections (duplicates excluded)',
    registers: [this.registry],
  });
  readonly recordsRead = new Counter({
    name: 'intent_projector_records_read_total',
    help: 'Kafka records read',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'intent_projector_dead_letters_total',
    help: 'Records written to the DLQ',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly futureDated = new Counter({
    name: 'intent_projector_future_dated_events_total',
    help: 'Events dated more than MAX_CLOCK_SKEW_MS past their Kafka record timestamp (housekeeping clamps them)',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'intent_projector_consumer_lag',
    help: 'Records between the position and the end offset, per partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });
  readonly catchUpProgress = new Gauge({
    name: 'intent_projector_catchup_progress_ratio',
    help: 'Share of the start-up replay done (1 = caught up)',
    registers: [this.registry],
  });
  readonly caughtUp = new Gauge({
    name: 'intent_projector_caught_up',
    help: '1 once every partition reached its start end offset',
    registers: [this.registry],
  });
  readonly stalled = new Gauge({
    name: 'intent_projector_ingestion_stalled',
    help: '1 while records wait but none has been applied for STALL_READY_MS/2 (then /readyz answers 503)',
    registers: [this.registry],
  });
  readonly consumerCrashes = new Counter({
    name: 'intent_projector_consumer_crashes_total',
    help: 'Kafka consumer crashes (each one replaced after a backoff; /readyz names the last while records wait)',
    registers: [this.registry],
  });
  readonly dlqWritable = new Gauge({
    name: 'intent_projector_dlq_writable',
    help: '0 while dead letters cannot be written (the partitions with a bad record wait)',
    registers: [this.registry],
  });
  readonly ready = new Gauge({ name: 'intent_projector_ready', help: '1 when /readyz answers 200', registers: [this.registry] });
  readonly projections = new Gauge({ name: 'intent_projector_projections', help: 'Live intent projections', registers: [this.registry] });
  readonly connectedSockets = new Gauge({
    name: 'intent_projector_connected_sockets',
    help: 'Connected Socket.IO clients',
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: 'intent_projector_subscriptions',
    help: 'Room subscriptions held by sockets',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly emissions = new Counter({
    name: 'intent_projector_emissions_total',
    help: 'Socket.IO emissions (one per room broadcast)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  readonly resumes = new Counter({
    name: 'intent_projector_resumes_total',
    help: 'Subscriptions with {since}, by outcome (recovered, outside_window, malformed, timeout)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly resumeWindow = new Gauge({
    name: 'intent_projector_resume_window_records',
    help: 'Records whose emissions the resume window holds (at most RESUME_WINDOW)',
    registers: [this.registry],
  });
  readonly resumeWindowBytes = new Gauge({
    name: 'intent_projector_resume_window_bytes',
    help: "Bytes the resume window's entries take: their JSON text and offset vectors (at most RESUME_WINDOW_BYTES)",
    registers: [this.registry],
  });
  readonly clientErrors = new Counter({
    name: 'intent_projector_client_errors_total',
    help: 'error events sent to clients',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly snapshotsWritten = new Counter({
    name: 'intent_projector_snapshots_written_total',
    help: 'Snapshots this node wrote to the snapshot topic',
    registers: [this.registry],
  });
  readonly snapshotFailures = new Counter({
    name: 'intent_projector_snapshot_failures_total',
    help: 'Snapshot writes that failed (retried at the next interval)',
    registers: [this.registry],
  });
  readonly snapshotBytes = new Gauge({
    name: 'intent_projector_snapshot_bytes',
    help: 'Compressed size of the last snapshot written or loaded',
    registers: [this.registry],
  });
  readonly snapshotWriter = new Gauge({
    name: 'intent_projector_snapshot_writer',
    help: '1 while this node is the fleet member that writes snapshots',
    registers: [this.registry],
  });
  readonly snapshotsSkipped = new Counter({
    name: 'intent_projector_snapshots_skipped_total',
    help: 'Snapshots skipped at start (incompatible, incomplete or corrupt)',
    registers: [this.registry],
  });

  readonly connectionsRefused = new Counter({
    name: 'intent_projector_connections_refused_total',
    help: 'Socket.IO handshakes and TCP connections refused, by reason (per_ip, total, fd_limit, origin)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly disconnects = new Counter({
    name: 'intent_projector_forced_disconnects_total',
    help: 'Sockets disconnected by the server, by reason (slow_consumer, flood, invalid_packet, message_too_large)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly httpTimeouts = new Counter({
    name: 'intent_projector_http_timeouts_total',
    help: 'HTTP connections closed because headers or body did not arrive in time (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)',
    registers: [this.registry],
  });
  readonly droppedClientEvents = new Counter({
    name: 'intent_projector_client_events_dropped_total',
    help: 'Client events dropped unread because the socket was over RATE_LIMIT_PER_SECOND',
    registers: [this.registry],
  });
  readonly withheldEmissions = new Counter({
    name: 'intent_projector_slow_consumer_withheld_total',
    help:
      'Emissions not written to a socket at MAX_SOCKET_BUFFER_BYTES, by outcome ' +
      '(conflated: an intent:status kept for later; lost: the socket will be disconnected)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly slowConsumers = new Gauge({
    name: 'intent_projector_slow_consumers',
    help: 'Sockets currently holding MAX_SOCKET_BUFFER_BYTES or more unsent',
    registers: [this.registry],
  });
  readonly bufferedBytes = new Gauge({
    name: 'intent_projector_socket_buffered_bytes',
    help: 'Unsent bytes held for all sockets (the server accounting of slow-consumers.ts)',
    registers: [this.registry],
  });
  readonly bufferedBytesHighWater = new Gauge({
    name: 'intent_projector_socket_buffered_bytes_high_water',
    help: 'Most unsent bytes one socket has held since start',
    registers: [this.registry],
  });

  private readonly refreshers: (() => void)[] = [];

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'intent_projector_' });
  }

  /** Registers a function that brings gauges up to date; run before every scrape. */
  onRefresh(refresh: () => void): void {
    this.refreshers.push(refresh);
  }

  /** The Prometheus text, with every gauge refreshed first. */
  async scrape(): Promise<string> {
    for (const r of this.refreshers) r();
    return this.registry.metrics();
  }
}
