import { Writable } from 'node:stream';
import kafkajs from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { pinoLogCreator, REPEAT_WINDOW_MS } from '../../src/ingest/kafka-client.js';
import { deadLetterHeaders, DLQ_HEADERS, MAX_REASON_LENGTH } from '../../src/ingest/dlq-headers.js';

const { logLevel } = kafkajs;

function capture(level = 'trace') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: pino({ level }, stream) };
}

const entry = (level: number, message: string, extra: Record<string, unknown> = {}) => ({
  namespace: 'Connection',
  level,
  label: 'x',
  log: { timestamp: 't', message, logger: 'kafkajs', ...extra },
});

describe('kafkajs → pino logs', () => {
  it('writes kafkajs lines one level lower, with their fields', async () => {
    const { lines, logger } = capture();
    const log = pinoLogCreator(logger)(logLevel.INFO);
    log(entry(logLevel.ERROR, 'Connection error: ECONNREFUSED', { broker: 'b:1' }));
    log(entry(logLevel.WARN, 'w'));
    log(entry(logLevel.INFO, 'i'));
    log(entry(logLevel.DEBUG, 'd'));
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l['level'], l['msg']])).toEqual([
      [40, 'Connection error: ECONNREFUSED'],
      [30, 'w'],
      [20, 'i'],
      [10, 'd'],
    ]);
    expect(lines[0]).toMatchObject({ namespace: 'Connection', broker: 'b:1' });
  });

  it('prints a repeated message once per window and counts the repeats it held back', async () => {
    const { lines, logger } = capture();
    let now = 0;
    const log = pinoLogCreator(logger, () => now)(logLevel.INFO);
    for (let i = 0; i < 5; i++) log(entry(logLevel.ERROR, 'Connection error'));
    now = REPEAT_WINDOW_MS + 1;
    log(entry(logLevel.ERROR, 'Connection error'));
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ msg: 'Connection error', repeatsHeldBack: 4 });
  });
});

describe('dead-letter headers', () => {
  it('keeps the original headers and adds where the record came from and why', () => {
    const record = {
      topic: 'intents.lifecycle',
      partition: 3,
      offset: '42',
      key: null,
      value: null,
      headers: { trace: Buffer.from('t'), [DLQ_HEADERS.reason]: 'old' },
    };
    expect(deadLetterHeaders(record, 'value is empty')).toEqual({
      trace: Buffer.from('t'),
      'dlq.source.topic': 'intents.lifecycle',
      'dlq.source.partition': '3',
      'dlq.source.offset': '42',
      'dlq.reason': 'value is empty',
    });
    expect(String(deadLetterHeaders(record, 'x'.repeat(5000))[DLQ_HEADERS.reason]).length).toBe(MAX_REASON_LENGTH);
  });
});
