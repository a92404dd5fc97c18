/**
 * Records written by a producer this project did not write: the Kafka Java client from the
 * broker's jars (`.cache/kafka/libs`, fetched by scripts/kafka/fetch.sh), run as a single-file
 * Java program (./java/JavaProducer.java). Used where behaviour depends on other people's
 * producers, e.g. compressed record batches (`compression.type`).
 *
 *   await javaProduce(brokers(), [{ compression: 'zstd', topic, key, value }]);
 *
 * One JVM for all the records (one producer per compression type): starting it, which compiles
 * the program, takes seconds.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROGRAM = path.join(REPO_ROOT, 'test', 'support', 'java', 'JavaProducer.java');
const CLASSPATH = path.join(REPO_ROOT, '.cache', 'kafka', 'libs', '*');

export type JavaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const JAVA_CODECS: readonly JavaCompression[] = ['gzip', 'snappy', 'lz4', 'zstd'];

export interface JavaRecord {
  /** the producer's `compression.type` for this record's batch */
  readonly compression: JavaCompression;
  readonly topic: string;
  readonly partition?: number;
  /** the record timestamp (CreateTime), epoch ms; default: the producer's clock */
  readonly timestamp?: number;
  readonly key: string | Buffer | null;
  readonly value: string | Buffer | null;
}

export interface JavaProduceOptions {
  /** more producer properties, e.g. `{ 'max.request.size': '4194304' }` */
  readonly props?: Readonly<Record<string, string>>;
  /** default 120000: a JVM start compiling the program is slow on a loaded machine */
  readonly timeoutMs?: number;
}

const b64 = (v: string | Buffer | null): string => (v === null ? '-' : Buffer.from(v).toString('base64'));

/** Sends the records with the Java client and resolves once all are acknowledged (acks=all). */
export function javaProduce(brokers: readonly string[], records: readonly JavaRecord[], opts: JavaProduceOptions = {}): Promise<void> {
  const lines = records.map((r) => [r.compression, r.topic, r.partition ?? '-', r.timestamp ?? '-', b64(r.key), b64(r.value)].join('\t'));
  const props = Object.entries(opts.props ?? {}).map(([k, v]) => `${k}=${v}`);
  const args = ['-cp', CLASSPATH, PROGRAM, brokers.join(','), ...props];
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`JavaProducer did not finish within ${opts.timeoutMs ?? 120_000}ms\n${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && stdout.includes(`sent ${records.length}`)) resolve();
      else reject(new Error(`JavaProducer exited ${code}: ${stdout.trim()}\n${stderr.slice(-4000)}`));
    });
    child.stdin.end(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  });
}
