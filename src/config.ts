/**
 * Configuration (contract.md section 7): parsed once at start from the environment (CLI flags
 * override it), validated by one zod schema, frozen. An invalid setting throws `ConfigError`
 * whose message is one line naming the variable and what to fix.
 */
import { z } from 'zod';

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

const settingsSchema = z.object({
  KAFKA_BROKERS: brokerList.optional(),
  KAFKA_TOPIC_LIFECYCLE: topic('KAFKA_TOPIC_LIFECYCLE').default('intents.lifecycle'),
  KAFKA_TOPIC_PROOFS: topic('KAFKA_TOPIC_PROOFS').default('intents.proofs'),
  KAFKA_TOPIC_DLQ: topic('KAFKA_TOPIC_DLQ').default('intents.dlq'),
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
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = Readonly<z.output<typeof configSchema>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
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
