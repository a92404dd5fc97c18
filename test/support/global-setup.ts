/**
 * Vitest global setup: hands every test run exactly one Kafka broker.
 *
 * Order of preference:
 *   1. KAFKA_BROKERS (comma-separated host:port) if set — verified reachable within ~10s.
 *   2. @testcontainers/kafka (confluentinc/cp-kafka, KRaft) when a Docker engine answers.
 *   3. The local jar broker (scripts/kafka/start.sh, Java 17 + Maven) on a free port,
 *      started here and stopped in teardown.
 * If none works the run fails (with or without CI) — integration tests never silently skip.
 *
 * Force a mode with KAFKA_TEST_BROKER=docker|local (skips the other automatic choices).
 *
 * Tests read the broker list via `inject('kafkaBrokers')` (see ./broker.ts); child processes
 * get it from process.env.KAFKA_BROKERS.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { TestProject } from 'vitest/node';
import { withTimeout } from '../../src/ingest/kafka-util.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap servers, e.g. "127.0.0.1:19092". */
    kafkaBrokers: string;
    /** Where the broker came from: "env" | "docker" | "local". */
    kafkaBrokerSource: string;
  }
}

const { Kafka, logLevel } = kafkajs;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const KAFKA_SCRIPTS = path.join(REPO_ROOT, 'scripts', 'kafka');
const CP_KAFKA_IMAGE = process.env.KAFKA_TEST_IMAGE ?? 'confluentinc/cp-kafka:7.9.0';
const NO_BROKER_HELP =
  'No Kafka broker for the integration tests: set KAFKA_BROKERS, or run a Docker engine, ' +
  'or install Java 17 + Maven for the local jar broker (scripts/kafka/start.sh).';

type Teardown = () => Promise<void>;
interface Broker {
  brokers: string;
  source: 'env' | 'docker' | 'local';
  teardown: Teardown;
}

const log = (msg: string): void => {
  process.stderr.write(`[kafka-setup] ${msg}\n`);
};

/** Connects an admin client and asks for cluster metadata; throws if the broker doesn't answer. */
async function verifyBrokers(brokers: string, timeoutMs: number): Promise<void> {
  const admin = new Kafka({
    clientId: 'vitest-global-setup',
    brokers: brokers
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 2000 },
  }).admin();
  try {
    await withTimeout(
      (async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length === 0) throw new Error('cluster reports no brokers');
      })(),
      timeoutMs,
      `connecting to Kafka at ${brokers}`,
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. KAFKA_BROKERS
// ---------------------------------------------------------------------------------------------
async function fromEnv(brokers: string): Promise<Broker> {
  try {
    await verifyBrokers(brokers, 10_000);
  } catch (err) {
    throw new Error(
      `KAFKA_BROKERS=${brokers} is set but the broker is not reachable: ${errMessage(err)}. ` +
        'Start it (e.g. `npm run kafka:start` for 127.0.0.1:9092) or unset KAFKA_BROKERS to let the ' +
        'test setup start a broker itself.',
    );
  }
  log(`using KAFKA_BROKERS=${brokers}`);
  return { brokers, source: 'env', teardown: async () => undefined };
}

// ---------------------------------------------------------------------------------------------
// 2. Docker (testcontainers)
// ---------------------------------------------------------------------------------------------
function pingDockerSocket(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 1500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function dockerAnswers(): Promise<boolean> {
  const sockets = [
    '/var/run/docker.sock',
    path.join(os.homedir(), '.docker', 'run', 'docker.sock'),
    ...(process.env.XDG_RUNTIME_DIR ? [path.join(process.env.XDG_RUNTIME_DIR, 'docker.sock')] : []),
  ];
  const explicitHost = Boolean(process.env.DOCKER_HOST) || existsSync(path.join(os.homedir(), '.testcontainers.properties'));
  let socketAnswered = false;
  for (const s of sockets) {
    if (existsSync(s) && (await pingDockerSocket(s))) {
      socketAnswered = true;
      break;
    }
  }
  if (!socketAnswered && !explicitHost) return false;
  // Let testcontainers do the authoritative check (DOCKER_HOST, TLS, podman, ...).
  try {
    const { getContainerRuntimeClient } = await importTestcontainers('testcontainers');
    await withTimeout(getContainerRuntimeClient(), 15_000, 'probing the Docker engine');
    return true;
  } catch (err) {
    log(`Docker engine not usable: ${errMessage(err)}`);
    return false;
  }
}

/** testcontainers 12.x needs Node >= 22.22; on older Node its import throws an opaque TypeError. */
async function importTestcontainers<M extends 'testcontainers' | '@testcontainers/kafka'>(
  name: M,
): Promise<M extends 'testcontainers' ? typeof import('testcontainers') : typeof import('@testcontainers/kafka')> {
  try {
    return (await import(name)) as never;
  } catch (err) {
    throw new Error(
      `cannot load ${name} on Node ${process.versions.node} (testcontainers 12.x requires Node >= 22.22): ${errMessage(err)}`,
    );
  }
}

async function fromDocker(): Promise<Broker> {
  const { KafkaContainer } = await importTestcontainers('@testcontainers/kafka');
  log(`starting ${CP_KAFKA_IMAGE} via testcontainers ...`);
  const t0 = Date.now();
  const container = await new KafkaContainer(CP_KAFKA_IMAGE).withKraft().start();
  const brokers = `${container.getHost()}:${container.getMappedPort(9093)}`;
  await verifyBrokers(brokers, 30_000);
  log(`container broker ready on ${brokers} in ${Date.now() - t0}ms`);
  return {
    brokers,
    source: 'docker',
    teardown: async () => {
      await container.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Local jar broker (scripts/kafka/start.sh)
// ---------------------------------------------------------------------------------------------
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Prefer 19092/20092 (keeps .cache/kafka tidy, never clashes with a dev broker on 9092). */
async function pickPorts(): Promise<{ port: number; controllerPort: number }> {
  const preferred = Number(process.env.KAFKA_TEST_PORT ?? 19092);
  if ((await portFree(preferred)) && (await portFree(preferred + 1000))) {
    return { port: preferred, controllerPort: preferred + 1000 };
  }
  for (;;) {
    const port = await freePort();
    const controllerPort = await freePort();
    if (port !== controllerPort) return { port, controllerPort };
  }
}

function runScript(script: string, env: NodeJS.ProcessEnv, liveStderr: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(KAFKA_SCRIPTS, script)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (liveStderr) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function fromLocalJars(): Promise<Broker> {
  const { port, controllerPort } = await pickPorts();
  const env = { KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort) };
  log(`starting local jar broker on 127.0.0.1:${port} (scripts/kafka/start.sh) ...`);
  const t0 = Date.now();
  const res = await runScript('start.sh', env, true);
  if (res.code !== 0) {
    const tail = res.stderr.trim().split('\n').slice(-15).join('\n');
    throw new Error(`scripts/kafka/start.sh exited with ${res.code}:\n${tail}`);
  }
  const brokers = `127.0.0.1:${port}`;
  log(`local jar broker ready on ${brokers} in ${Date.now() - t0}ms`);

  // Safety net: if vitest exits without running teardown, don't leave the JVM behind.
  const pidFile = path.join(REPO_ROOT, '.cache', 'kafka', `broker-${port}.pid`);
  const killOnExit = (): void => {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killOnExit);

  return {
    brokers,
    source: 'local',
    teardown: async () => {
      process.removeListener('exit', killOnExit);
      const stop = await runScript('stop.sh', env, false);
      if (stop.code !== 0) log(`stop.sh exited with ${stop.code}: ${stop.stderr.trim()}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function acquireBroker(): Promise<Broker> {
  const fromEnvVar = process.env.KAFKA_BROKERS?.trim();
  if (fromEnvVar) return fromEnv(fromEnvVar);

  const forced = process.env.KAFKA_TEST_BROKER?.trim().toLowerCase();
  const failures: string[] = [];

  if (forced !== 'local') {
    if (forced === 'docker' || (await dockerAnswers())) {
      try {
        return await fromDocker();
      } catch (err) {
        failures.push(`docker: ${errMessage(err)}`);
        if (forced === 'docker') throw new Error(`${NO_BROKER_HELP}\n${failures.join('\n')}`);
      }
    } else {
      failures.push('docker: no Docker engine answered');
    }
  }

  try {
    return await fromLocalJars();
  } catch (err) {
    failures.push(`local jar broker: ${errMessage(err)}`);
  }
  // Same outcome with or without CI=true: integration tests must not silently skip.
  throw new Error(`${NO_BROKER_HELP}\n${failures.join('\n')}`);
}

export default async function setup(project: TestProject): Promise<Teardown> {
  const hadEnv = process.env.KAFKA_BROKERS;
  const broker = await acquireBroker();
  project.provide('kafkaBrokers', broker.brokers);
  project.provide('kafkaBrokerSource', broker.source);
  process.env.KAFKA_BROKERS = broker.brokers;
  return async () => {
    if (hadEnv === undefined) delete process.env.KAFKA_BROKERS;
    await broker.teardown();
  };
}
