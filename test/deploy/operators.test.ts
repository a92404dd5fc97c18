/**
 * The operators' files in deploy/: the Prometheus alerting rules (checked and unit-tested by the
 * Debian package's promtool), a real Prometheus from that package scraping a running service and
 * answering through its HTTP API, and the Grafana dashboard and the alerts naming only metrics
 * that /metrics really serves (so neither can rot when a metric is renamed).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { type App, startApp } from '../../src/main.js';
import { freePort } from '../support/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ALERTS = path.join(ROOT, 'deploy/prometheus/alerts.yml');
const ALERTS_TEST = path.join(ROOT, 'deploy/prometheus/alerts.test.yml');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/intent-projector.json');
const PROMETHEUS = process.env.PROMETHEUS_PATH ?? 'prometheus';
const PROMTOOL = process.env.PROMTOOL_PATH ?? 'promtool';

/**
 * Metrics the alerts and the dashboard name that other open issues add (the names they agreed on);
 * each entry goes once its metric is served (the test below says so).
 */
const PENDING: Readonly<Record<string, string>> = {};

/** Prometheus's own series (not ours). */
const PROMETHEUS_SERIES = new Set(['up']);

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

interface Dashboard {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
  templating: { list: { query?: { query: string } | string }[] };
}

/** Metric names in a PromQL expression: identifiers of ours (`intent_projector_*`) and Prometheus's own. */
function metricNames(expr: string): string[] {
  const ours = expr.match(/\bintent_projector_[a-z0-9_]+/g) ?? [];
  const theirs = [...PROMETHEUS_SERIES].filter((m) => new RegExp(`\\b${m}\\{`).test(expr));
  return [...ours, ...theirs];
}

function referencedMetrics(): Map<string, string[]> {
  const where = new Map<string, string[]>();
  const add = (name: string, place: string): void => {
    const list = where.get(name) ?? [];
    list.push(place);
    where.set(name, list);
  };
  const rules = parse(readFileSync(ALERTS, 'utf8')) as RuleFile;
  for (const g of rules.groups) for (const r of g.rules) for (const m of metricNames(r.expr)) add(m, `alert ${r.alert ?? r.record}`);
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  for (const p of dashboard.panels) for (const t of p.targets ?? []) for (const m of metricNames(t.expr)) add(m, `panel "${p.title}"`);
  for (const v of dashboard.templating.list) {
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    for (const m of metricNames(q)) add(m, 'dashboard variable');
  }
  return where;
}

/** Metric families in a Prometheus text exposition (from its `# TYPE` lines). */
function servedFamilies(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) /.exec(line);
    if (m?.[1] !== undefined) out.add(m[1]);
  }
  return out;
}

/** A name as the exposition serves it: histogram and summary series belong to their family. */
function family(name: string, served: Set<string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix) && served.has(name.slice(0, -suffix.length))) return name.slice(0, -suffix.length);
  }
  return name;
}

describe('deploy/prometheus/alerts.yml', () => {
  it('passes `promtool check rules`', () => {
    const r = spawnSync(PROMTOOL, ['check', 'rules', ALERTS], { encoding: 'utf8' });
    expect(r.error, `${PROMTOOL} not found: install Debian's prometheus package (.ci/run does)`).toBeUndefined();
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('the example prometheus.yml beside it passes `promtool check config` (and loads the rules)', () => {
    const r = spawnSync(PROMTOOL, ['check', 'config', path.join(ROOT, 'deploy/prometheus/prometheus.yml')], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS: 1 rule files found');
  });

  it('fires as its unit tests expect (`promtool test rules alerts.test.yml`)', () => {
    const r = spawnSync(PROMTOOL, ['test', 'rules', ALERTS_TEST], { encoding: 'utf8', cwd: path.dirname(ALERTS_TEST) });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });
});

describe('a real Prometheus scraping the service', () => {
  let app: App;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  let dataDir: string;
  let promLog = '';

  beforeAll(async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SIMULATOR_RATE: '50', LOG_LEVEL: 'silent' });
    app = await startApp({
      config,
      logger: createLogger('silent', { pretty: false }),
      simulator: { seed: 7, timeScale: 0.05, warmupMs: 3000 },
    });
    await app.service.caughtUp;

    dataDir = mkdtempSync(path.join(tmpdir(), 'prometheus-'));
    const target = new URL(app.service.url).host;
    const configFile = path.join(dataDir, 'prometheus.yml');
    writeFileSync(
      configFile,
      JSON.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [ALERTS],
        scrape_configs: [{ job_name: 'intent-projector', static_configs: [{ targets: [target] }] }],
      }),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dataDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (d: Buffer) => (promLog += d.toString()));
    prometheus.stderr?.on('data', (d: Buffer) => (promLog += d.toString()));
    prometheus.once('error', (e) => (promLog += `spawn failed: ${e.message} (install Debian's prometheus package; .ci/run does)\n`));
    // ready once it has loaded its config and rules and opened its storage
    const start = Date.now();
    while ((await fetch(`${promUrl}/-/ready`).catch(() => null))?.status !== 200) {
      if (prometheus.exitCode !== null || Date.now() - start > 60_000)
        throw new Error(`prometheus did not get ready:\n${promLog.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus?.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    await app?.stop();
  });

  async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    expect(body.status).toBe('success');
    return body.data.result;
  }

  it('scrapes /metrics: the target is up and the events applied counter reads back through the HTTP API', async () => {
    await expect
      .poll(
        async () => {
          const res = await fetch(`${promUrl}/api/v1/targets`);
          const body = (await res.json()) as { data: { activeTargets: { health: string; lastError: string }[] } };
          return body.data.activeTargets.map((t) => `${t.health}${t.lastError}`);
        },
        { timeout: 30_000, interval: 250 },
      )
      .toEqual(['up']);

    // the simulator keeps producing: Prometheus sees the counter move, and never ahead of the service
    let first = 0;
    await expect
      .poll(async () => (first = Number((await query('intent_projector_events_applied_total'))[0]?.value[1] ?? 0)), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => Number((await query('intent_projector_events_applied_total'))[0]?.value[1] ?? 0), { timeout: 30_000 })
      .toBeGreaterThan(first);
    const scraped = Number((await query('intent_projector_events_applied_total'))[0]?.value[1]);
    const served = (await app.service.metrics.eventsApplied.get()).values[0]?.value ?? 0;
    expect(scraped).toBeLessThanOrEqual(served);

    const ready = await query('intent_projector_ready');
    expect(ready.map((r) => [r.metric['job'], r.value[1]])).toEqual([['intent-projector', '1']]);
  });

  it('loads alerts.yml and evaluates every rule without error against the scraped series', async () => {
    await expect
      .poll(
        async () => {
          const res = await fetch(`${promUrl}/api/v1/rules`);
          const body = (await res.json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
          return body.data.groups.flatMap((g) => g.rules.map((r) => `${r.name}: ${r.health}${r.lastError ? ` ${r.lastError}` : ''}`));
        },
        { timeout: 30_000, interval: 250 },
      )
      .toEqual((parse(readFileSync(ALERTS, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules.map((r) => `${r.alert}: ok`)));
    // a healthy node: nothing fires
    const alerts = await fetch(`${promUrl}/api/v1/alerts`).then(
      (r) => r.json() as Promise<{ data: { alerts: { labels: Record<string, string>; state: string }[] } }>,
    );
    expect(alerts.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels['alertname'])).toEqual([]);
  });

  it('every metric the alerts and the Grafana dashboard name is served by /metrics', async () => {
    const text = await (await fetch(`${app.service.url}/metrics`)).text();
    const served = servedFamilies(text);
    const referenced = referencedMetrics();
    expect(referenced.size).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const [name, places] of referenced) {
      if (PROMETHEUS_SERIES.has(name)) continue;
      if (served.has(family(name, served))) continue;
      if (name in PENDING) continue;
      missing.push(`${name} (${places.join(', ')})`);
    }
    expect(missing, 'deploy/ names metrics that /metrics does not serve').toEqual([]);

    // the pending list cannot outlive its reason: once a metric is served, or no longer named, it goes
    for (const [name, issue] of Object.entries(PENDING)) {
      expect(
        served.has(name),
        `${name} is served now (${issue} landed): remove it from PENDING in ${path.relative(ROOT, fileURLToPath(import.meta.url))}`,
      ).toBe(false);
      expect(referenced.has(name), `${name} is in PENDING but nothing in deploy/ names it`).toBe(true);
    }
  });
});
