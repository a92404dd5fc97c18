/**
 * Prometheus metrics (contract.md section 6), one registry per service instance so several
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
  readonly clientErrors = new Counter({
    name: 'intent_projector_client_errors_total',
    help: 'error events sent to clients',
    labelNames: ['code'] as const,
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
