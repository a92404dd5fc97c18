/**
 * What every command shares: the `Command` shape, the flags that mirror
 * configuration variables (merged into the environment before `loadConfig`), and help text.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CONFIG_VARIABLES, type ConfigInput } from '../config.js';
import { UsageError } from '../errors.js';

export interface CommandIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** resolves with the exit code; throws UsageError / ConfigError for exit 2 */
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}

type VarName = keyof ConfigInput;
type Options = NonNullable<ParseArgsConfig['options']>;

/** `--kafka-brokers` etc. for every variable, plus short aliases. */
const ALIASES: Readonly<Record<string, VarName>> = {
  brokers: 'KAFKA_BROKERS',
  'topic-lifecycle': 'KAFKA_TOPIC_LIFECYCLE',
  'topic-proofs': 'KAFKA_TOPIC_PROOFS',
  'topic-dlq': 'KAFKA_TOPIC_DLQ',
  'topic-snapshots': 'KAFKA_TOPIC_SNAPSHOTS',
  'group-id': 'KAFKA_GROUP_ID',
  'client-id': 'KAFKA_CLIENT_ID',
};

export const flagOf = (v: VarName): string => v.toLowerCase().replace(/_/g, '-');

/** Config flags a command accepts: the variables given, under their own name and their aliases. */
export function configFlags(vars: readonly VarName[] = CONFIG_VARIABLES): Map<string, VarName> {
  const m = new Map<string, VarName>();
  for (const v of vars) m.set(flagOf(v), v);
  for (const [alias, v] of Object.entries(ALIASES)) if (vars.includes(v)) m.set(alias, v);
  return m;
}

export const KAFKA_VARS: readonly VarName[] = [
  'KAFKA_BROKERS',
  'KAFKA_TOPIC_LIFECYCLE',
  'KAFKA_TOPIC_PROOFS',
  'KAFKA_TOPIC_DLQ',
  'KAFKA_GROUP_ID',
  'KAFKA_CLIENT_ID',
  'LOG_LEVEL',
];

export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
  /** the environment with config flags applied on top */
  readonly env: Record<string, string | undefined>;
}

/**
 * Parses argv with node's util.parseArgs: the command's own options plus the config flags.
 * Unknown options and missing values become a UsageError naming the command's help.
 */
export function parseCommand(
  command: string,
  argv: readonly string[],
  own: Options,
  config: Map<string, VarName>,
  env: Readonly<Record<string, string | undefined>>,
  allowPositionals = false,
): Parsed {
  const options: Options = { help: { type: 'boolean', short: 'h' }, ...own };
  for (const flag of config.keys()) options[flag] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${message} (see: intent-projector ${command} --help)`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const merged: Record<string, string | undefined> = { ...env };
  for (const [flag, v] of config) {
    const value = values[flag];
    if (typeof value === 'string') merged[v] = value;
  }
  return { values, positionals: parsed.positionals, env: merged };
}

/** Help lines for config flags: `--port <value>   PORT`. */
export function configHelp(config: Map<string, VarName>): string {
  const byVar = new Map<VarName, string[]>();
  for (const [flag, v] of config) byVar.set(v, [...(byVar.get(v) ?? []), `--${flag}`]);
  const rows = [...byVar].map(([v, flags]) => [flags.join(', '), v] as const);
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, v]) => `  ${f.padEnd(width)}  ${v}`).join('\n');
}

/** Reads a numeric option: a UsageError names the flag when it isn't a number in range. */
export function numberOption(
  values: Record<string, string | boolean | undefined>,
  name: string,
  fallback: number | undefined,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  const { min, max, integer } = range;
  const what = integer ? 'a whole number' : 'a number';
  const bounds =
    min !== undefined && max !== undefined
      ? ` between ${min} and ${max}`
      : min !== undefined
        ? ` >= ${min}`
        : max !== undefined
          ? ` <= ${max}`
          : '';
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
    throw new UsageError(`--${name} must be ${what}${bounds} (got ${JSON.stringify(raw)})`);
  }
  return n;
}
