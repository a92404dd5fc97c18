/**
 * Broker reachability for the Kafka source (docs/ingestion.md "Faults").
 *
 * Consumer requests complete at least every fetch wait (`maxWaitTimeInMs`) while the broker
 * answers; each one is `contact()`. When none has for `connectionLostAfterMs` (or the consumer
 * crashed: `suspect()`), the watchdog asks the broker directly (cluster metadata, within
 * `probeTimeoutMs`): a consumer can also be quiet while the broker is fine (a JoinGroup waiting for
 * the group to settle). A failed probe is reported once as `onChange(false)`, the next contact or
 * answer as `onChange(true)`. While unreachable, it probes every tick.
 */
import type { Admin } from 'kafkajs';
import type { KafkaClient } from './kafka-client.js';
import { withTimeout } from './kafka-util.js';

export interface BrokerWatchdogOptions {
  /** client for the probe; best one without retries, so a refused connection fails it at once */
  readonly probeKafka: KafkaClient;
  readonly connectionLostAfterMs: number;
  readonly probeTimeoutMs: number;
  readonly clock: () => number;
  readonly onChange: (connected: boolean) => void;
}

export class BrokerWatchdog {
  private connected = true;
  private lastContact: number;
  private probe: { admin: Admin; connected: boolean } | null = null;
  private probing = false;
  private halted = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: BrokerWatchdogOptions) {
    this.lastContact = opts.clock();
  }

  /** Starts checking, a few times per `connectionLostAfterMs`. */
  start(): void {
    if (this.timer !== null || this.halted) return;
    const tick = Math.max(50, Math.min(500, Math.floor(this.opts.connectionLostAfterMs / 3)));
    this.timer = setInterval(() => this.check(), tick);
    this.timer.unref();
  }

  /** The broker answered a request. */
  contact(): void {
    this.lastContact = this.opts.clock();
    if (!this.connected && !this.halted) {
      this.connected = true;
      this.opts.onChange(true);
    }
  }

  /** A new consumer starts: give it `connectionLostAfterMs` before probing (reports nothing). */
  restartClock(): void {
    this.lastContact = this.opts.clock();
  }

  /** Something went wrong with the consumer: probe the broker at the next tick. */
  suspect(): void {
    this.lastContact = 0;
  }

  /** No more checks or reports (the source stopped or failed). */
  halt(): void {
    this.halted = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** `halt()`, then disconnects the probe's client. */
  async close(): Promise<void> {
    this.halt();
    const probe = this.probe;
    this.probe = null;
    if (probe !== null) await probe.admin.disconnect().catch(() => undefined);
  }

  private check(): void {
    if (this.halted || this.probing) return;
    if (this.connected && this.opts.clock() - this.lastContact <= this.opts.connectionLostAfterMs) return;
    this.probing = true;
    void this.probeBroker()
      .then((ok) => {
        if (this.halted) return;
        if (ok) this.contact();
        else if (this.connected) {
          this.connected = false;
          this.opts.onChange(false);
        }
      })
      .finally(() => (this.probing = false));
  }

  private async probeBroker(): Promise<boolean> {
    this.probe ??= { admin: this.opts.probeKafka.admin({ retry: { retries: 0 } }), connected: false };
    const probe = this.probe;
    try {
      await withTimeout(
        (async () => {
          if (!probe.connected) {
            await probe.admin.connect();
            probe.connected = true;
          }
          await probe.admin.describeCluster();
        })(),
        this.opts.probeTimeoutMs,
        'probing the Kafka broker',
      );
      if (this.halted) await this.drop(probe); // close() ran meanwhile and did not see this client
      return true;
    } catch {
      await this.drop(probe); // start over with a fresh client next time
      return false;
    }
  }

  private async drop(probe: { admin: Admin }): Promise<void> {
    if (this.probe === probe) this.probe = null;
    await probe.admin.disconnect().catch(() => undefined);
  }
}
