/**
 * Configuration (docs/contract.md § Configuration): parsed once at start from the environment (CLI flags
 * override it), validated by one zod schema, frozen. An invalid setting throws `ConfigError`
 * whose message is one line naming the variable and what to fix.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

const int = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);

const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

const brokerList = list.pipe(
  z
    .array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'KAFKA_BROKERS entries must look like host:port'))
    .min(1, 'KAFKA_BROKERS must name at least one host:port'),
);

const topic = (name: string) => z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, `${name} must be a Kafka topic name (letters, digits, . _ -)`);

/** fetch sizes (src/ingest/consumer-runner.ts `DEFAULT_FETCH` uses the same; docs/ingestion.md "Batches and fetch settings") */
export const DEFAULT_FETCH_MAX_BYTES = 4 * 1024 * 1024;
export const DEFAULT_FETCH_MAX_BYTES_PER_PARTITION = 1024 * 1024;

const settingsSchema = z.object({
  KAFKA_BROKERS: brokerList.optional(),
  KAFKA_TOPIC_LIFECYCLE: topic('KAFKA_TOPIC_LIFECYCLE').default('intents.lifecycle'),
  KAFKA_TOPIC_PROOFS: topic('KAFKA_TOPIC_PROOFS').default('intents.proofs'),
  KAFKA_TOPIC_DLQ: topic('KAFKA_TOPIC_DLQ').default('intents.dlq'),
  /** where snapshots of the whole state are written and read (docs/snapshots.md) */
  KAFKA_TOPIC_SNAPSHOTS: topic('KAFKA_TOPIC_SNAPSHOTS').default('intents.snapshots'),
  /** time between two snapshots written by the fleet's writer; 0 = this node never writes one (it still loads them) */
  SNAPSHOT_INTERVAL_MS: int('SNAPSHOT_INTERVAL_MS', 0, 2_147_483_647).default(300_000),
  KAFKA_GROUP_ID: z.string().min(1).optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('intent-projector'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int('PORT', 0, 65535).default(3000),
  STATS_INTERVAL_MS: int('STATS_INTERVAL_MS', 10, 3_600_000).default(1000),
  MAX_SUBSCRIPTIONS_PER_SOCKET: int('MAX_SUBSCRIPTIONS_PER_SOCKET', 1, 100_000).default(100),
  ADMIN_TOKEN: z.string().min(1, 'ADMIN_TOKEN must not be empty (unset it instead)').optional(),
  CORS_ORIGINS: list.default(['*']),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** client events allowed per socket per second (token bucket, burst = 2x) */
  RATE_LIMIT_PER_SECOND: int('RATE_LIMIT_PER_SECOND', 1, 100_000).default(20),
  /** largest accepted client message, bytes (Socket.IO maxHttpBufferSize) */
  MAX_MESSAGE_BYTES: int('MAX_MESSAGE_BYTES', 256, 10_000_000).default(16_384),
  /** how long the broker may be unreachable before /readyz answers 503 */
  BROKER_DOWN_GRACE_MS: int('BROKER_DOWN_GRACE_MS', 0, 3_600_000).default(5000),
  /** longest a SIGTERM/SIGINT shutdown may take before the process exits anyway */
  SHUTDOWN_TIMEOUT_MS: int('SHUTDOWN_TIMEOUT_MS', 100, 600_000).default(10_000),
  /** event time a removed intent's tombstone is kept (refusing its older records); match the topics' retention */
  TOMBSTONE_RETENTION_MS: int('TOMBSTONE_RETENTION_MS', 0, Number.MAX_SAFE_INTEGER).default(604_800_000),
  /** unsent bytes a socket may hold before it counts as a slow consumer (4.3) */
  MAX_SOCKET_BUFFER_BYTES: int('MAX_SOCKET_BUFFER_BYTES', 1024, 1_073_741_824).default(1_048_576),
  /** how long a socket may stay at MAX_SOCKET_BUFFER_BYTES before it is disconnected (SLOW_CONSUMER) */
  SLOW_CONSUMER_GRACE_MS: int('SLOW_CONSUMER_GRACE_MS', 0, 3_600_000).default(10_000),
  /** Socket.IO connections accepted in total by this node */
  MAX_CONNECTIONS: int('MAX_CONNECTIONS', 1, 10_000_000).default(20_000),
  /** Socket.IO connections accepted per client address */
  MAX_CONNECTIONS_PER_IP: int('MAX_CONNECTIONS_PER_IP', 1, 10_000_000).default(256),
  /** file descriptors kept free below the process's limit: new connections beyond are refused (503) */
  FD_HEADROOM: int('FD_HEADROOM', 0, 1_000_000).default(256),
  /** proxies in front of the node whose X-Forwarded-For entries are trusted: false (0), true (1) or a count */
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2})$/i, 'TRUST_PROXY must be true, false or a number of proxy hops')
    .transform((s) => (s.toLowerCase() === 'true' ? 1 : s.toLowerCase() === 'false' ? 0 : Number(s)))
    .default(0),
  /** a socket sending more than FLOOD_FACTOR x RATE_LIMIT_PER_SECOND events per second for FLOOD_DISCONNECT_MS is disconnected */
  FLOOD_FACTOR: int('FLOOD_FACTOR', 1, 10_000).default(5),
  FLOOD_DISCONNECT_MS: int('FLOOD_DISCONNECT_MS', 1000, 3_600_000).default(5000),
  /** time a client has to send a request's headers (slow-loris) */
  HTTP_HEADERS_TIMEOUT_MS: int('HTTP_HEADERS_TIMEOUT_MS', 100, 3_600_000).default(10_000),
  /** time a client has to send a whole request, body included */
  HTTP_REQUEST_TIMEOUT_MS: int('HTTP_REQUEST_TIMEOUT_MS', 100, 3_600_000).default(30_000),
  /** how far past its Kafka record timestamp an occurredAt may move the housekeeping clocks (docs/reducer.md) */
  MAX_CLOCK_SKEW_MS: int('MAX_CLOCK_SKEW_MS', 0, 31_536_000_000).default(3_600_000),
  /** partitions added to an input topic are consumed within this long (consumer metadata refresh) */
  METADATA_REFRESH_MS: int('METADATA_REFRESH_MS', 100, 3_600_000).default(30_000),
  /** most bytes one fetch response brings (all partitions): kafkajs decodes one response in one stretch of the event loop */
  FETCH_MAX_BYTES: int('FETCH_MAX_BYTES', 65_536, 1_073_741_824).default(DEFAULT_FETCH_MAX_BYTES),
  /** most bytes one fetch response brings per partition (a record larger than this is still fetched whole) */
  FETCH_MAX_BYTES_PER_PARTITION: int('FETCH_MAX_BYTES_PER_PARTITION', 65_536, 1_073_741_824).default(DEFAULT_FETCH_MAX_BYTES_PER_PARTITION),
  /** the heap may grow this many percent past what the last full GC left alive (V8 --heap-growing-percent; 0: V8's own choice, up to 4× the live heap) */
  HEAP_GROWTH_PERCENT: int('HEAP_GROWTH_PERCENT', 0, 1000).default(100),
  /** records waiting but none applied for this long (consumer crashing, DLQ unwritable, unreadable batch) → /readyz 503 */
  STALL_READY_MS: int('STALL_READY_MS', 200, 3_600_000).default(15_000),
  /** input records (that changed something) whose emissions a client can resume from (docs/resume.md) */
  RESUME_WINDOW: int('RESUME_WINDOW', 0, 10_000_000).default(20_000),
  /** most bytes the resume window holds (its entries' JSON text and offset vectors); the oldest records go first (docs/resume.md) */
  RESUME_WINDOW_BYTES: int('RESUME_WINDOW_BYTES', 0, 17_179_869_184).default(32 * 1024 * 1024),
  /** longest a resume waits for this node to reach the client's position before answering fresh */
  RESUME_WAIT_MS: int('RESUME_WAIT_MS', 0, 600_000).default(5000),
  /** intents sent as intent:status on subscribe:intents */
  MAX_FILTER_SNAPSHOT: int('MAX_FILTER_SNAPSHOT', 0, 1_000_000).default(1000),
  /** events per second the embedded simulator produces (embedded mode only) */
  SIMULATOR_RATE: int('SIMULATOR_RATE', 0, 1_000_000).default(20),
});

/** The settings, plus the rules between them. */
export const configSchema = settingsSchema.superRefine((c, ctx) => {
  const topics = [c.KAFKA_TOPIC_LIFECYCLE, c.KAFKA_TOPIC_PROOFS, c.KAFKA_TOPIC_DLQ];
  if (new Set(topics).size !== topics.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_TOPIC_PROOFS'],
      message: 'KAFKA_TOPIC_LIFECYCLE, KAFKA_TOPIC_PROOFS and KAFKA_TOPIC_DLQ must be three different topics',
    });
  }
  if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['HTTP_HEADERS_TIMEOUT_MS'],
      message: 'HTTP_HEADERS_TIMEOUT_MS must not be larger than HTTP_REQUEST_TIMEOUT_MS',
    });
  }
  if (topics.includes(c.KAFKA_TOPIC_SNAPSHOTS)) {
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_TOPIC_SNAPSHOTS'],
      message: 'KAFKA_TOPIC_SNAPSHOTS must be a topic of its own (not the lifecycle, proof or dead-letter topic)',
    });
  }
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = Readonly<z.output<typeof configSchema>>;

/** Which input topic: the lifecycle topic carries the `intent.*` events, the proof topic the `proof.*` ones. */
export type TopicRole = 'lifecycle' | 'proofs';

/** The two input topics by role, in the order they are read and listed. */
export interface InputTopics {
  readonly lifecycle: string;
  readonly proofs: string;
}

/** The input topics of `config` (KAFKA_TOPIC_LIFECYCLE, KAFKA_TOPIC_PROOFS): the one place they are named. */
export function inputTopics(config: Pick<Config, 'KAFKA_TOPIC_LIFECYCLE' | 'KAFKA_TOPIC_PROOFS'>): InputTopics {
  return { lifecycle: config.KAFKA_TOPIC_LIFECYCLE, proofs: config.KAFKA_TOPIC_PROOFS };
}

/** The input topics as a list: lifecycle, then proofs. */
export function topicList(topics: InputTopics): [string, string] {
  return [topics.lifecycle, topics.proofs];
}

/** Names of the variables the service reads, for `--help` and docs. */
export const CONFIG_VARIABLES = Object.keys(settingsSchema.shape) as (keyof ConfigInput)[];

/**
 * Parses configuration from environment-like strings. Empty strings count as unset.
 * Throws ConfigError with a one-line message on the first invalid setting.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of CONFIG_VARIABLES) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') input[key] = v.trim();
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? 'config');
    const msg = issue.message.includes(key) ? issue.message : `${key}: ${issue.message}`;
    const got = input[key] === undefined ? '' : ` (got ${JSON.stringify(input[key])})`;
    throw new ConfigError(`invalid configuration: ${msg}${got}`);
  }
  return Object.freeze(result.data);
}
