/**
 * Against the real broker: `simulate` produces realistic histories (with duplicates and malformed
 * records), a live service folds them, and `replay --json` reports the same counts the service
 * holds — the operator's check that a rebuild from the topics gives the live state.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startApp, type App } from '../../src/main.js';
import { brokers, kafka, uniqueTopic } from '../support/broker.js';
import { lines, runCli } from './run-cli.js';

describe('simulate → serve → replay', () => {
  let app: App | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it('replay reports the counts the live service holds', async () => {
    const env = {
      KAFKA_BROKERS: brokers().join(','),
      KAFKA_TOPIC_LIFECYCLE: uniqueTopic('sim-lifecycle'),
      KAFKA_TOPIC_PROOFS: uniqueTopic('sim-proofs'),
      KAFKA_TOPIC_DLQ: uniqueTopic('sim-dlq'),
    };
    const INTENTS = 60;
    const sim = await runCli(
      [
        'simulate',
        '--intents',
        String(INTENTS),
        '--rate',
        '5000',
        '--time-scale',
        '0.002',
        '--duplicates',
        '0.1',
        '--malformed',
        '0.05',
        '--seed',
        '11',
        '--json',
      ],
      env,
      { timeoutMs: 90_000 },
    );
    expect(sim.code, sim.stderr).toBe(0);
    const produced = JSON.parse(lines(sim.stdout).at(-1)!) as {
      intents: number;
      events: number;
      duplicates: number;
      malformed: number;
      records: number;
      removed: number;
    };
    expect(produced.intents).toBe(INTENTS);
    expect(produced.duplicates).toBeGreaterThan(0);
    expect(produced.malformed).toBeGreaterThan(0);

    // the topics hold every record simulate reports
    const admin = kafka('sim-replay-check').admin();
    await admin.connect();
    const high = async (t: string) => (await admin.fetchTopicOffsets(t)).reduce((n, p) => n + Number(p.high), 0);
    expect((await high(env.KAFKA_TOPIC_LIFECYCLE)) + (await high(env.KAFKA_TOPIC_PROOFS))).toBe(produced.records);

    // a live service on those topics
    const config = loadConfig({ ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    app = await startApp({ config, logger: createLogger('silent', { pretty: false }) });
    expect(app.mode).toBe('kafka');
    await app.service.caughtUp;
    const live = (await (await fetch(`${app.service.url}/stats`)).json()) as Record<string, number>;
    expect(live['total']).toBe(INTENTS - produced.removed);
    // malformed records went to the DLQ topic
    await expect.poll(() => high(env.KAFKA_TOPIC_DLQ), { timeout: 10_000 }).toBe(produced.malformed);
    await admin.disconnect();

    // replay from the topics gives the same counts
    const replay = await runCli(['replay', '--json'], env, { timeoutMs: 60_000 });
    expect(replay.code, replay.stderr).toBe(0);
    const summary = JSON.parse(lines(replay.stdout).at(-1)!) as {
      intents: Record<string, number>;
      eventsApplied: number;
      recordsRead: number;
      deadLetters: number;
      seconds: number;
      eventsPerSecond: number;
    };
    expect(summary.intents).toEqual(live);
    expect(summary.recordsRead).toBe(produced.records);
    expect(summary.deadLetters).toBe(produced.malformed);
    // duplicates are not applied twice (how many late events still fill a field depends on the
    // interleaving of the two topics, so this is a bound, not an equality)
    expect(summary.eventsApplied).toBeLessThanOrEqual(produced.events);
    expect(summary.eventsApplied).toBeGreaterThan(produced.events * 0.8);
    expect(summary.seconds).toBeGreaterThan(0);

    // the human summary says the same
    const text = await runCli(['replay'], env, { timeoutMs: 60_000 });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `intents: ${live['total']} (submitted ${live['submitted']}, matched ${live['matched']}, executing ${live['executing']}, ` +
        `completed ${live['completed']}, failed ${live['failed']}, cancelled ${live['cancelled']})`,
    );
    expect(text.stdout).toContain(`dead letters: ${produced.malformed}`);
  });
});
