/**
 * Broker preflight: one quick admin connect before anything starts consuming or producing, so an
 * unreachable broker gives one clear line within seconds instead of a stack trace or a retry storm.
 */
import kafkajs from 'kafkajs';
import { BrokerUnreachableError } from '../errors.js';
import { withTimeout } from './kafka-util.js';

const { Kafka, logLevel } = kafkajs;

export interface PreflightOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** overall bound (default 8000 ms) */
  readonly timeoutMs?: number;
}

export interface PreflightResult {
  /** brokers the cluster reports */
  readonly brokers: number;
  /** topics that exist, of those asked about */
  readonly existingTopics: readonly string[];
}

/**
 * Connects an admin client with small timeouts, asks for the cluster and the topic list.
 * Throws BrokerUnreachableError with a one-line message naming the brokers and the cause.
 */
export async function preflight(opts: PreflightOptions, topics: readonly string[] = []): Promise<PreflightResult> {
  const where = opts.brokers.join(',');
  const admin = new Kafka({
    clientId: `${opts.clientId ?? 'intent-projector'}-preflight`,
    brokers: [...opts.brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 1, initialRetryTime: 300, maxRetryTime: 1000 },
  }).admin();
  try {
    return await withTimeout(
      (async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        const existing = new Set(await admin.listTopics());
        return { brokers: cluster.brokers.length, existingTopics: topics.filter((t) => existing.has(t)) };
      })(),
      opts.timeoutMs ?? 8000,
      'the broker check',
    );
  } catch (err) {
    throw new BrokerUnreachableError(`cannot reach Kafka at ${where} (KAFKA_BROKERS): ${describe(err)}`);
  } finally {
    void admin.disconnect().catch(() => undefined);
  }
}

const CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** The innermost cause, in a few words. */
export function describe(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 5; i++) {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && CODES[code] !== undefined) return CODES[code];
    const cause =
      (e as { cause?: unknown; originalError?: unknown } | null)?.cause ?? (e as { originalError?: unknown } | null)?.originalError;
    if (cause === undefined || cause === null) break;
    e = cause;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (/closed connection/i.test(message)) return 'the connection was closed (is this a Kafka listener?)';
  return message.replace(/^Connection error: /, '').split('\n')[0]!;
}
