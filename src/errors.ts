/**
 * The errors the service and its commands raise on purpose, in one place. Each carries a stable
 * `code` (for logs and callers) and the exit code the CLI ends with when it reaches the top
 * (src/cli.ts). Any other error is a failure (exit 1).
 */
import type { SourceRecord } from './ingest/source.js';

/** The CLI's exit codes: 0 ok; 1 failure (runtime error, validation failed); 2 usage or configuration error. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export type ExitCode = typeof EXIT_FAILURE | typeof EXIT_USAGE;

export type ErrorCode = 'USAGE' | 'CONFIG' | 'BROKER_UNREACHABLE' | 'MISSING_TOPIC' | 'DEAD_LETTER_WRITE';

export abstract class ProjectorError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly exitCode: ExitCode;
  /** the one-line message says all there is (no stack trace with DEBUG) */
  readonly complete: boolean = false;
}

/** A wrong command line: printed as one line, exit code 2. */
export class UsageError extends ProjectorError {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
  readonly exitCode = EXIT_USAGE;
  override readonly complete = true;
}

/** An invalid setting (src/config.ts): one line naming the variable, exit code 2. */
export class ConfigError extends ProjectorError {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG';
  readonly exitCode = EXIT_USAGE;
  override readonly complete = true;
}

/** The broker did not answer the start-up check (src/ingest/preflight.ts). */
export class BrokerUnreachableError extends ProjectorError {
  override readonly name = 'BrokerUnreachableError';
  readonly code = 'BROKER_UNREACHABLE';
  readonly exitCode = EXIT_FAILURE;
  override readonly complete = true;
}

/** Topics the service needs do not exist; it never creates them (src/ingest/topics.ts). */
export class MissingTopicError extends ProjectorError {
  override readonly name = 'MissingTopicError';
  readonly code = 'MISSING_TOPIC';
  readonly exitCode = EXIT_FAILURE;
  constructor(
    readonly topics: readonly string[],
    brokers: string,
  ) {
    super(
      `Kafka topic${topics.length > 1 ? 's' : ''} ${topics.map((t) => `"${t}"`).join(', ')} ` +
        `${topics.length > 1 ? 'do' : 'does'} not exist on ${brokers}. The service never creates topics: ` +
        'create them (see docs/ingestion.md) or fix KAFKA_TOPIC_LIFECYCLE / KAFKA_TOPIC_PROOFS / KAFKA_TOPIC_DLQ',
    );
  }
}

/** The DLQ refused a record after retries (src/ingest/dlq-writer.ts); `record` is the one that could not be written. */
export class DeadLetterWriteError extends ProjectorError {
  override readonly name = 'DeadLetterWriteError';
  readonly code = 'DEAD_LETTER_WRITE';
  readonly exitCode = EXIT_FAILURE;
  constructor(
    message: string,
    readonly record: SourceRecord,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The exit code `err` ends the CLI with. */
export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof ProjectorError ? err.exitCode : EXIT_FAILURE;
}
