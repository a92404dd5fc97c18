/**
 * Loaded into the service by bench/latency.ts (`node --import tsx --import ./bench/lib/service-probe.ts`):
 * what the service's live path costs, independent of how busy the shared machine is. On every
 * SIGUSR2 it appends one JSON line to BENCH_PROBE_FILE with its totals since it was loaded:
 *
 * - `cpuUserUs`, `cpuSystemUs`: the process's CPU time (`process.cpuUsage`);
 * - `allocatedBytes`: bytes allocated on the V8 heap: what the collections freed plus what the heap
 *   grew by (`v8.GCProfiler`: the used heap before and after each collection);
 * - `scavenges`, `markCompacts`, `gcMs`: the collections (young, full) and their total pause.
 *
 * The bench signals once before the measured traffic and once after it; the differences divided by
 * the records give the per-record figures it prints. Nothing else of the service changes.
 *
 * With BENCH_PROBE_CPU_PROFILE / BENCH_PROBE_HEAP_PROFILE (file names) it also profiles what lies
 * between the first two signals (the measured traffic only): a CPU profile (`.cpuprofile`) and a
 * sampling heap profile that keeps the objects collected since (`.heapprofile`: every allocation,
 * not only what is still alive), both for Chrome DevTools or bench/lib/profile-summary.py.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { GCProfiler, getHeapStatistics } from 'node:v8';

const file = process.env['BENCH_PROBE_FILE'];

interface GcStat {
  readonly gcType: string;
  readonly cost: number;
  readonly beforeGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
  readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
}

if (file !== undefined && file !== '') {
  const startUsed = getHeapStatistics().used_heap_size;
  let freed = 0;
  let scavenges = 0;
  let markCompacts = 0;
  let gcUs = 0;
  let profiler = new GCProfiler();
  profiler.start();
  const collect = (): void => {
    const data = profiler.stop() as { statistics: GcStat[] } | undefined;
    profiler = new GCProfiler();
    profiler.start();
    for (const s of data?.statistics ?? []) {
      freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
      gcUs += s.cost;
      if (s.gcType === 'Scavenge' || s.gcType === 'MinorMarkSweep') scavenges++;
      else if (s.gcType === 'MarkSweepCompact') markCompacts++;
    }
  };
  // the profiler keeps every collection's statistics until stopped: empty it now and then
  setInterval(collect, 10_000).unref();
  const cpuProfile = process.env['BENCH_PROBE_CPU_PROFILE'];
  const heapProfile = process.env['BENCH_PROBE_HEAP_PROFILE'];
  let signals = 0;
  let session: Session | null = null;
  const profiles = async (): Promise<void> => {
    signals++;
    if (signals === 1 && (cpuProfile || heapProfile)) {
      session = new Session();
      session.connect();
      if (cpuProfile) {
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      if (heapProfile) {
        await session.post('HeapProfiler.enable');
        await session.post('HeapProfiler.startSampling', {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        } as never);
      }
    } else if (signals === 2 && session !== null) {
      if (cpuProfile) writeFileSync(cpuProfile, JSON.stringify((await session.post('Profiler.stop')).profile));
      if (heapProfile) writeFileSync(heapProfile, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile));
      session.disconnect();
    }
  };
  process.on('SIGUSR2', () => {
    void profiles();
    collect();
    const cpu = process.cpuUsage();
    const line = {
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      allocatedBytes: freed + getHeapStatistics().used_heap_size - startUsed,
      scavenges,
      markCompacts,
      gcMs: Math.round(gcUs / 1000),
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  });
}
