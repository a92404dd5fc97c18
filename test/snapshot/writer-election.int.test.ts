/**
 * One snapshot writer per fleet, with take-over: two real `serve` processes on the same topics
 * and snapshot topic. Exactly one is the writer (/metrics intent_projector_snapshot_writer); when
 * it is killed (SIGKILL: no goodbye to the group), the other takes over after the group session
 * times out and writes a snapshot of what was produced since.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { scanSnapshots } from '../../src/snapshot/loader.js';
import { spawnCli } from '../cli/run-cli.js';
import { brokers, createTopics, kafka, uniqueTopic } from '../support/broker.js';
import { generateHistory } from '../support/histories.js';
import { createTestTopics, eventually, produceEvents, testLogger, type TestTopics } from '../support/service-harness.js';

interface Node {
  readonly child: ChildProcess;
  readonly lines: { msg: string; url?: string; why?: string }[];
  url: string | null;
}

const nodes: Node[] = [];
afterAll(() => {
  for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
});

function serve(topics: TestTopics, snapshots: string): Node {
  const child = spawnCli(['serve'], {
    KAFKA_BROKERS: brokers().join(','),
    KAFKA_TOPIC_LIFECYCLE: topics.lifecycle,
    KAFKA_TOPIC_PROOFS: topics.proofs,
    KAFKA_TOPIC_DLQ: topics.dlq,
    KAFKA_TOPIC_SNAPSHOTS: snapshots,
    SNAPSHOT_INTERVAL_MS: '3600000',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
  });
  const node: Node = { child, lines: [], url: null };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      try {
        const line = JSON.parse(l) as Node['lines'][number];
        node.lines.push(line);
        if (line.msg.startsWith('listening on') && line.url !== undefined) node.url = line.url;
      } catch {
        // not a log line
      }
    }
  });
  nodes.push(node);
  return node;
}

async function isWriter(n: Node): Promise<boolean> {
  const text = await (await fetch(`${n.url}/metrics`)).text();
  return /^intent_projector_snapshot_writer 1$/m.test(text);
}

async function ready(n: Node): Promise<void> {
  await eventually(() => n.url !== null, 60_000, 'the node listening');
  let ok = false;
  const deadline = Date.now() + 60_000;
  while (!ok && Date.now() < deadline) {
    ok = (await fetch(`${n.url}/readyz`).catch(() => null))?.status === 200;
    if (!ok) await new Promise((r) => setTimeout(r, 200));
  }
  expect(ok).toBe(true);
}

const written = (n: Node) => n.lines.filter((l) => /^snapshot \S+ written$/.test(l.msg));

describe('snapshot writer election (two serve processes)', () => {
  it('one node writes; killed, the other takes over and writes', { timeout: 180_000 }, async () => {
    const topics = await createTestTopics('election', 2);
    const snapshots = uniqueTopic('election.snapshots');
    await createTopics([snapshots], 1);
    const h = generateHistory({ intents: 200, seed: 5 });
    const [l1, p1] = [h.lifecycle.slice(0, 1000), h.proof.slice(0, 600)];
    const [l2, p2] = [h.lifecycle.slice(1000), h.proof.slice(600)];
    const client = kafka('election-test');
    await produceEvents(client, topics, [...l1, ...p1]);

    const a = serve(topics, snapshots);
    await ready(a);
    await eventually(() => written(a).length > 0, 60_000, 'the first node writing a snapshot once elected');
    const b = serve(topics, snapshots);
    await ready(b);
    expect(b.lines.some((l) => l.msg.startsWith('restore: from snapshot'))).toBe(true);
    // exactly one writer, once the group settled after the second node joined (either may hold it)
    const writers = async () => [await isWriter(a), await isWriter(b)];
    let roles = await writers();
    for (const until = Date.now() + 60_000; roles.filter(Boolean).length !== 1 && Date.now() < until; roles = await writers()) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(roles.filter(Boolean)).toHaveLength(1);
    const [writer, other] = roles[0] ? [a, b] : [b, a];
    const before = written(other).length;

    writer.child.kill('SIGKILL');
    await produceEvents(client, topics, [...l2, ...p2]);
    const deadline = Date.now() + 90_000;
    while (!(await isWriter(other)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await isWriter(other)).toBe(true);
    await eventually(() => written(other).length > before, 30_000, 'the new writer writing a snapshot');
    expect(written(other)[before]!.why).toBe('elected');

    // its snapshot covers everything produced
    const scan = await scanSnapshots({ kafka: kafka('election-scan'), topic: snapshots, logger: testLogger(), expectation: null });
    if (scan.missing) throw new Error('snapshot topic missing');
    const newest = scan.snapshots[scan.snapshots.length - 1]!;
    const end = newest.header!.positions.reduce((n, p) => n + Number(p.offset), 0);
    expect(end).toBe(h.lifecycle.length + h.proof.length);
    other.child.kill('SIGTERM');
  });
});
