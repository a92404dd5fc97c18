/**
 * `serve` without KAFKA_BROKERS (what `npm start` runs on a fresh clone): the first log line says
 * it runs in embedded mode and how to attach to a real broker, /stats shows simulated intents
 * after a moment, and SIGTERM stops it cleanly with exit code 0.
 */
import { describe, expect, it } from 'vitest';
import { spawnCli } from './run-cli.js';

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

describe('embedded mode (serve without KAFKA_BROKERS)', () => {
  it('says so first, serves simulated intents, and stops on SIGTERM', async () => {
    const child = spawnCli(['serve'], { PORT: '0', HOST: '127.0.0.1', SIMULATOR_RATE: '50' });
    const logs: LogLine[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const parsed = JSON.parse(line) as LogLine; // JSON logs when stdout is not a terminal
          logs.push(parsed);
          if (typeof parsed['url'] === 'string' && parsed.msg.startsWith('listening')) resolve(parsed['url']);
        }
      });
      child.on('exit', (code) => reject(new Error(`serve exited early with ${code}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await listening;
      expect(logs[0]!.msg).toBe(
        'embedded mode: no KAFKA_BROKERS set; running on an in-process event log fed by the simulator. Set KAFKA_BROKERS=host:port to attach to a real stream',
      );
      expect(logs[0]!['mode']).toBe('embedded');

      const stats = async () => (await (await fetch(`${url}/stats`)).json()) as Record<string, number>;
      await expect.poll(async () => (await stats())['total'], { timeout: 10_000 }).toBeGreaterThan(0);
      const before = await stats();
      // the simulator keeps producing: the counts move
      await expect.poll(async () => JSON.stringify(await stats()), { timeout: 15_000 }).not.toBe(JSON.stringify(before));
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/socket.io/socket.io.min.js');

      const t0 = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(logs.map((l) => l.msg)).toContain('stopped');
      expect(stderr).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
