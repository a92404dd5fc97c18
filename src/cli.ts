#!/usr/bin/env node
/**
 * The `intent-projector` command line. `serve` is the default command.
 *
 * Exit codes: 0 ok; 1 failure (validation failed, runtime error such as an unreachable broker);
 * 2 usage or configuration error. Errors are printed as one line, `error: <message>`, on stderr.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command, CommandIO } from './commands/common.js';
import { EXIT_USAGE, exitCodeOf, ProjectorError } from './errors.js';
import { replayCommand } from './commands/replay.js';
import { schemasCommand } from './commands/schemas.js';
import { serveCommand } from './commands/serve.js';
import { simulateCommand } from './commands/simulate.js';
import { snapshotCommand } from './commands/snapshot.js';
import { validateCommand } from './commands/validate.js';

export const COMMANDS: readonly Command[] = [
  serveCommand,
  replayCommand,
  snapshotCommand,
  simulateCommand,
  validateCommand,
  schemasCommand,
];

export const HELP = `Usage: intent-projector [command] [options]

Event-sourced projector for a cross-chain intent protocol: Kafka records in, one projection per
intent, Socket.IO fan-out to browsers, a live dashboard at GET /.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n')}

Without a command, runs \`serve\`. Every setting can come from the environment (KAFKA_BROKERS,
PORT, ...) or from a flag (--brokers, --port, ...); run \`intent-projector <command> --help\`.

Exit codes: 0 ok, 1 failure (validation failed, runtime error), 2 usage or configuration error.`;

/** Runs the CLI; resolves with the exit code (never throws). */
export async function runCli(argv: readonly string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write('intent-projector 0.1.0\n');
    return 0;
  }
  let command: Command | undefined;
  let args: readonly string[];
  if (first === undefined || first.startsWith('-')) {
    command = serveCommand;
    args = argv;
  } else {
    command = COMMANDS.find((c) => c.name === first);
    args = rest;
  }
  if (command === undefined) {
    io.stderr.write(
      `error: unknown command "${first}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see intent-projector --help)\n`,
    );
    return EXIT_USAGE;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const oneLine = message.split('\n')[0]!.trim();
    io.stderr.write(`error: ${oneLine}\n`);
    const complete = err instanceof ProjectorError && err.complete;
    if (!complete && io.env['DEBUG']) io.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return exitCodeOf(err);
  }
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  // kafkajs prints a notice about its v2 partitioner on every producer; the service doesn't rely on v1
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1';
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
  });
  // let stdout/stderr drain, then exit even if a library left a handle open
  process.exitCode = code;
  setTimeout(() => process.exit(code), 50).unref();
}
