/**
 * What delivering costs per record, without Kafka and without timing luck (docs/ingestion.md "Live
 * latency"): the transport and a pipeline in this process (test/support/transport-harness.ts), 10
 * all-intents socket.io clients (websocket, in this process too), and `--batches` batches of
 * `--per-batch` new intents, each batch one run of the pipeline. Prints the write system calls per
 * record (this process's `syscw` in /proc/self/io: the same count every run), the heap bytes
 * allocated per record (`v8.GCProfiler`, exact up to a few bytes), and CPU µs per record (this
 * process, clients included: moves with the machine's load). Compare two commits by running it
 * in each checkout, alternating.
 *
 * Usage: npx tsx bench/socket-writes.ts [--per-batch 5] [--batches 1000] [--clients 10]
 */
import { readFileSync } from 'node:fs';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { io as ioClient, type Socket } from 'socket.io-client';
import { id, startHarness, wire } from '../test/support/transport-harness.js';
import { arg, summary } from './lib/dataset.js';

const perBatch = arg('per-batch', 5);
const batches = arg('batches', 1000);
const clientCount = arg('clients', 10);
const AT = '2030-01-01T00:00:00.000Z';

/** Write system calls of this process so far (Linux). */
const writeCalls = (): number => Number(/syscw: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? Number.NaN);

interface GcStat {
  readonly beforeGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
  readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
}

async function main(): Promise<void> {
  const h = await startHarness({ live: true, env: { STATS_INTERVAL_MS: '600000' } });
  const clients: Socket[] = [];
  let received = 0;
  for (let i = 0; i < clientCount; i++) {
    const c = ioClient(h.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    await c.timeout(3000).emitWithAck('subscribe:all');
    c.on('intent:new', () => received++);
    clients.push(c);
  }
  const records = perBatch * batches;
  const gc = new GCProfiler();
  gc.start();
  const usedBefore = getHeapStatistics().used_heap_size;
  const writesBefore = writeCalls();
  const cpuBefore = process.cpuUsage();
  for (let b = 0; b < batches; b++) {
    const events = Array.from({ length: perBatch }, (_, k) =>
      wire('intent.submitted', id(b * perBatch + k + 1), AT, { fromChain: 1, toChain: 10, amount: '1' }),
    );
    await h.feed(events);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const expected = clientCount * records;
  const t0 = Date.now();
  while (received < expected && Date.now() - t0 < 30_000) await new Promise<void>((resolve) => setTimeout(resolve, 20));
  const cpu = process.cpuUsage(cpuBefore);
  const writes = writeCalls() - writesBefore;
  const stats = (gc.stop() as { statistics: GcStat[] } | undefined)?.statistics ?? [];
  let freed = 0;
  for (const s of stats) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  const allocated = freed + getHeapStatistics().used_heap_size - usedBefore;
  summary('socket-writes', {
    perBatch,
    batches,
    clients: clientCount,
    received,
    expected,
    writesPerRecord: Math.round((writes / records) * 1000) / 1000,
    allocatedBytesPerRecord: Math.round(allocated / records),
    cpuUsPerRecord: Math.round(((cpu.user + cpu.system) / records) * 10) / 10,
  });
  for (const c of clients) c.disconnect();
  await h.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
