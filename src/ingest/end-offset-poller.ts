/**
 * Keeps the source's knowledge of the input partitions' end offsets fresh (docs/ingestion.md
 * "Stalls and readiness"). The consumer learns them from fetch responses only; a consumer that
 * keeps crashing, or a batch that cannot be read, brings no fetch response, so without this poll a
 * stuck node would see lag 0 and look healthy. Every `intervalMs` it lists the end offsets of the
 * topics (ListOffsets) and hands them to `onOffsets`. Failures are quiet: the broker watchdog
 * reports an unreachable broker.
 */
import type { Admin } from 'kafkajs';
import type { KafkaClient } from './kafka-client.js';
import { withTimeout } from './kafka-util.js';

export interface EndOffsetPollerOptions {
  readonly kafka: KafkaClient;
  readonly topics: readonly string[];
  readonly intervalMs: number;
  readonly onOffsets: (topic: string, partition: number, high: bigint) => void;
}

export class EndOffsetPoller {
  private admin: Admin | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private halted = false;

  constructor(private readonly opts: EndOffsetPollerOptions) {}

  start(): void {
    if (this.halted || this.timer !== null) return;
    this.timer = setInterval(() => void this.poll(), this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.halted = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const admin = this.admin;
    this.admin = null;
    if (admin !== null) await admin.disconnect().catch(() => undefined);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.halted) return;
    this.polling = true;
    try {
      if (this.admin === null) {
        const admin = this.opts.kafka.admin({ retry: { retries: 0 } });
        await withTimeout(admin.connect(), this.opts.intervalMs * 2, 'connecting the end-offset poller');
        if (this.halted) {
          await admin.disconnect().catch(() => undefined);
          return;
        }
        this.admin = admin;
      }
      for (const topic of this.opts.topics) {
        const offsets = await withTimeout(this.admin.fetchTopicOffsets(topic), this.opts.intervalMs * 2, 'listing end offsets');
        if (this.halted) return;
        for (const p of offsets) this.opts.onOffsets(topic, p.partition, BigInt(p.high));
      }
    } catch {
      const admin = this.admin;
      this.admin = null;
      if (admin !== null) await admin.disconnect().catch(() => undefined);
    } finally {
      this.polling = false;
    }
  }
}
