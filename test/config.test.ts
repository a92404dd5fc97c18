/** Configuration (src/config.ts): parsed once, frozen, one clear line for what to fix. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const fails = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe('configuration', () => {
  it('has the defaults of the README configuration table, frozen', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      KAFKA_TOPIC_LIFECYCLE: 'intents.lifecycle',
      KAFKA_TOPIC_PROOFS: 'intents.proofs',
      KAFKA_TOPIC_DLQ: 'intents.dlq',
      HOST: '0.0.0.0',
      PORT: 3000,
      STATS_INTERVAL_MS: 1000,
      MAX_SUBSCRIPTIONS_PER_SOCKET: 100,
      CORS_ORIGINS: ['*'],
      LOG_LEVEL: 'info',
    });
    expect(c.KAFKA_BROKERS).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses lists and numbers; empty values count as unset', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', CORS_ORIGINS: 'http://x,http://y', PORT: '8080', ADMIN_TOKEN: '' });
    expect(c.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(c.CORS_ORIGINS).toEqual(['http://x', 'http://y']);
    expect(c.PORT).toBe(8080);
    expect(c.ADMIN_TOKEN).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, 'invalid configuration: PORT must be a number (got "abc")'],
    [{ PORT: '70000' }, 'invalid configuration: PORT must be at most 65535 (got "70000")'],
    [{ KAFKA_BROKERS: 'localhost' }, 'invalid configuration: KAFKA_BROKERS entries must look like host:port (got "localhost")'],
    [
      { KAFKA_TOPIC_PROOFS: 'has space' },
      'invalid configuration: KAFKA_TOPIC_PROOFS must be a Kafka topic name (letters, digits, . _ -) (got "has space")',
    ],
    [
      { KAFKA_TOPIC_LIFECYCLE: 'same', KAFKA_TOPIC_PROOFS: 'same' },
      'invalid configuration: KAFKA_TOPIC_LIFECYCLE, KAFKA_TOPIC_PROOFS and KAFKA_TOPIC_DLQ must be three different topics (got "same")',
    ],
    [
      { KAFKA_TOPIC_DLQ: 'intents.lifecycle' },
      'invalid configuration: KAFKA_TOPIC_LIFECYCLE, KAFKA_TOPIC_PROOFS and KAFKA_TOPIC_DLQ must be three different topics',
    ],
  ])('%j → one line saying what to fix', (env, message) => {
    const m = fails(env);
    expect(m).toBe(message);
    expect(m).not.toContain('\n');
  });
});
