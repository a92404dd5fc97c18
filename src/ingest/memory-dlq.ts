/**
 * The dead-letter sink of embedded mode: there is no DLQ topic, so a dead letter is only counted
 * (the pipeline also logs it and counts it in `/metrics`).
 */
import type { DeadLetterSink } from './source.js';

export class MemoryDeadLetterSink implements DeadLetterSink {
  private count = 0;

  async write(): Promise<void> {
    this.count++;
  }

  /** dead letters written in total */
  get total(): number {
    return this.count;
  }
}
