/**
 * The one pino logger factory: JSON lines, or pretty when the destination is a terminal (decided
 * once, at setup). The service logs to stdout; the one-shot commands (simulate, replay) log to
 * stderr, so their stdout carries only their summary.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** default: whether the destination is a terminal */
  readonly pretty?: boolean;
  readonly name?: string;
  /** default 'stdout' */
  readonly destination?: 'stdout' | 'stderr';
}

export function createLogger(level: string, opts: LoggerOptions = {}): Logger {
  const toStderr = opts.destination === 'stderr';
  const pretty = opts.pretty ?? (toStderr ? process.stderr : process.stdout).isTTY === true;
  return pino(
    {
      name: opts.name ?? 'intent-projector',
      level,
      ...(pretty
        ? {
            transport: {
              target: 'pino-pretty',
              options: { destination: toStderr ? 2 : 1, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' },
            },
          }
        : {}),
    },
    // stderr written synchronously: a command's last lines must not be lost when it exits
    pretty || !toStderr ? undefined : pino.destination({ fd: 2, sync: true }),
  );
}
