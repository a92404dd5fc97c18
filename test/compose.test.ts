/**
 * docker-compose.yml cannot run here (no Docker engine), so this keeps it honest: valid YAML, the
 * service wired to the broker by KAFKA_BROKERS, only variables the service reads, topics created
 * before the service starts (it never creates them), and healthchecks on the broker and /readyz.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../src/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  command?: string[];
}
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const { kafka, projector } = compose.services as { kafka: Service; projector: Service };
const init = compose.services['kafka-init'];

describe('docker-compose.yml', () => {
  it('runs the service built from the Dockerfile, attached to the broker service', () => {
    expect(projector.build).toBeDefined();
    expect(String(projector.environment?.['KAFKA_BROKERS'])).toBe('kafka:9092');
    expect(kafka.image).toMatch(/kafka/);
  });

  it('sets only variables the service reads, with values its config accepts', () => {
    const env = Object.fromEntries(Object.entries(projector.environment ?? {}).map(([k, v]) => [k, String(v)]));
    for (const key of Object.keys(env)) expect(CONFIG_VARIABLES as string[]).toContain(key);
    const config = loadConfig(env);
    expect(config.PORT).toBe(3000);
  });

  it('creates the input, dead-letter and snapshot topics before the service starts', () => {
    const env = projector.environment ?? {};
    const script = (init?.command ?? []).join('\n');
    for (const t of [env['KAFKA_TOPIC_LIFECYCLE'], env['KAFKA_TOPIC_PROOFS'], env['KAFKA_TOPIC_DLQ'], env['KAFKA_TOPIC_SNAPSHOTS']]) {
      expect(script).toContain(String(t));
    }
    // the snapshot topic: one partition (the writer election and the loader use partition 0), deleted by time
    const snapshotLine = script.split('\n').find((l) => l.includes(`--topic ${String(env['KAFKA_TOPIC_SNAPSHOTS'])}`));
    expect(snapshotLine).toContain('--partitions 1');
    expect(script).toContain('cleanup.policy=delete');
    expect(projector.depends_on?.['kafka-init']?.condition).toBe('service_completed_successfully');
    expect(projector.depends_on?.['kafka']?.condition).toBe('service_healthy');
  });

  it('has healthchecks on the broker and on the service readiness', () => {
    expect(kafka.healthcheck?.test.join(' ')).toMatch(/kafka-broker-api-versions/);
    expect(projector.healthcheck?.test.join(' ')).toContain('/readyz');
  });
});
