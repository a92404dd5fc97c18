/**
 * Bulk production with the Kafka Java client (./BulkProducer.java, the broker's jars in
 * `.cache/kafka/libs`, fetched by scripts/kafka/fetch.sh): millions of records in seconds where
 * kafkajs needs minutes on a loaded machine. Records are streamed to the JVM's stdin as they are
 * made (with backpressure), so a large history is never held as one string.
 *
 *   const bulk = javaBulkProducer(brokers, 'none');
 *   for (...) await bulk.send(topic, key, value);
 *   await bulk.done();   // every record acknowledged
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROGRAM = path.join(REPO_ROOT, 'bench', 'lib', 'BulkProducer.java');
const CLASSPATH = path.join(REPO_ROOT, '.cache', 'kafka', 'libs', '*');

export interface BulkProducer {
  /** queues one record (key picks the partition: murmur2, the default partitioner) */
  send(topic: string, key: string, value: string): Promise<void>;
  /** closes the input; resolves with the records acknowledged, rejects on any failure */
  done(): Promise<number>;
}

export function javaBulkProducer(brokers: readonly string[], compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'): BulkProducer {
  const child = spawn('java', ['-Xmx1g', '-cp', CLASSPATH, PROGRAM, brokers.join(','), compression], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // a JVM that died early: the write fails (EPIPE) and done() reports its exit and stderr
  child.stdin.on('error', () => undefined);
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  let pending: string[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    pendingBytes = 0;
    if (!child.stdin.write(chunk)) await new Promise<void>((resolve) => child.stdin.once('drain', resolve));
  };
  return {
    async send(topic, key, value) {
      const line = `${topic}\t${key}\t${value}\n`;
      pending.push(line);
      pendingBytes += line.length;
      if (pendingBytes >= 1 << 20) await flush();
    },
    async done() {
      await flush();
      child.stdin.end();
      const code = await closed;
      const m = /sent (\d+)/.exec(stdout);
      if (code !== 0 || m === null) throw new Error(`BulkProducer exited ${code}: ${stdout.trim()}\n${stderr.slice(-4000)}`);
      return Number(m[1]);
    },
  };
}
