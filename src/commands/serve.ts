/**
 * `intent-projector serve` (the default command): run the service.
 */
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { serve } from '../main.js';
import { markPhase } from '../phases.js';
import { configFlags, configHelp, parseCommand, type Command } from './common.js';

const FLAGS = configFlags();

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the service (the default): Kafka (or the embedded simulator) in, Socket.IO + HTTP out',
  help: `Usage: intent-projector serve [options]

Runs the service: rebuilds every projection from the topics, then serves Socket.IO, HTTP and the
dashboard on HOST:PORT. Without KAFKA_BROKERS it runs on an embedded in-process event log fed by
the simulator at SIMULATOR_RATE events/s. SIGTERM/SIGINT stop it within SHUTDOWN_TIMEOUT_MS.

Options (each overrides the environment variable on the right):
${configHelp(FLAGS)}
  -h, --help  show this help

Exit codes: 0 stopped cleanly, 1 runtime failure, 2 invalid option or configuration.`,
  async run(argv, io) {
    const { values, env } = parseCommand('serve', argv, {}, FLAGS, io.env);
    if (values['help']) {
      io.stdout.write(`${serveCommand.help}\n`);
      return 0;
    }
    const config = loadConfig(env);
    markPhase('config');
    const logger = createLogger(config.LOG_LEVEL);
    return serve({ config, logger });
  },
};
