/**
 * `intent-projector validate FILE.jsonl`: checks every line of a JSON-lines file against the
 * event schemas (the same decoder the service runs on Kafka records).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { decodeRecord } from '../ingest/decode.js';
import { UsageError } from '../errors.js';
import { parseCommand, type Command } from './common.js';

export interface ValidationReport {
  lines: number;
  valid: number;
  invalid: number;
  blank: number;
  errors: { line: number; reason: string }[];
}

/** Validates lines one by one; `onError` sees each bad line as it is found. */
export async function validateLines(
  lines: AsyncIterable<string>,
  onError?: (line: number, reason: string) => void,
): Promise<ValidationReport> {
  const report: ValidationReport = { lines: 0, valid: 0, invalid: 0, blank: 0, errors: [] };
  for await (const raw of lines) {
    report.lines++;
    const text = raw.trim();
    if (text === '') {
      report.blank++;
      continue;
    }
    const decoded = decodeRecord({ value: text });
    if (decoded.ok) {
      report.valid++;
      continue;
    }
    report.invalid++;
    if (report.errors.length < 1000) report.errors.push({ line: report.lines, reason: decoded.reason });
    onError?.(report.lines, decoded.reason);
  }
  return report;
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a JSON-lines file of events against the schemas',
  help: `Usage: intent-projector validate [options] FILE.jsonl

Checks each line of FILE (one event per line: the canonical envelope or a structured CloudEvent;
"-" reads stdin) with the same decoder the service runs on Kafka records. Prints
"line N: reason" for every bad line, then a summary. Blank lines are skipped.

Options:
  --json      print the summary as one JSON line (bad lines included)
  -q, --quiet print only the bad lines
  -h, --help  show this help

Exit codes: 0 every line is valid, 1 some line is not, 2 usage error (no file, unreadable file).`,
  async run(argv, io) {
    const { values, positionals } = parseCommand(
      'validate',
      argv,
      { json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
      new Map(),
      io.env,
      true,
    );
    if (values['help']) {
      io.stdout.write(`${validateCommand.help}\n`);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        `${positionals.length === 0 ? 'missing FILE' : 'expected one FILE'} (usage: intent-projector validate FILE.jsonl)`,
      );
    }
    const file = positionals[0]!;
    let input: NodeJS.ReadableStream;
    if (file === '-') input = io.stdin;
    else {
      try {
        const s = await stat(file);
        if (!s.isFile()) throw new UsageError(`${file} is not a file`);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(
          `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
        );
      }
      input = createReadStream(file);
    }
    const json = values['json'] === true;
    const report = await validateLines(createInterface({ input, crlfDelay: Infinity }), (line, reason) => {
      if (!json) io.stdout.write(`line ${line}: ${reason}\n`);
    });
    if (json) {
      io.stdout.write(`${JSON.stringify({ file, ...report })}\n`);
    } else if (values['quiet'] !== true) {
      const verdict = report.invalid === 0 ? 'all valid' : `${report.invalid} invalid`;
      io.stdout.write(
        `${file}: ${report.valid + report.invalid} events, ${report.valid} valid, ${verdict}${report.blank ? ` (${report.blank} blank lines skipped)` : ''}\n`,
      );
    }
    return report.invalid === 0 ? 0 : 1;
  },
};
