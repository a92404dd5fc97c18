/**
 * The dashboard at GET / in a real headless Chromium: the service runs in embedded mode in this
 * process (simulator feeding the in-process log), the page connects with Socket.IO, shows the
 * mempool stats and fills and updates its table of recent intents as events arrive.
 * Saves test-artifacts/dashboard.png.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startApp, type App } from '../../src/main.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

const STAT_KEYS = ['total', 'submitted', 'matched', 'executing', 'completed', 'failed', 'cancelled'] as const;

/**
 * The counts on the page, read in one go: the page writes all of them in one task per
 * `mempool:stats`, so one evaluate sees one message's counts (reading them one by one could
 * straddle an update).
 */
async function statsOnPage(page: Page): Promise<Record<(typeof STAT_KEYS)[number], number>> {
  return page.evaluate(
    (keys) => Object.fromEntries(keys.map((k) => [k, Number(document.querySelector(`[data-testid="stat-${k}"]`)?.textContent)])),
    [...STAT_KEYS],
  ) as Promise<Record<(typeof STAT_KEYS)[number], number>>;
}

describe('dashboard', () => {
  let app: App;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SIMULATOR_RATE: '60', STATS_INTERVAL_MS: '200', LOG_LEVEL: 'silent' });
    app = await startApp({
      config,
      logger: createLogger('silent', { pretty: false }),
      simulator: { seed: 42, timeScale: 0.05, warmupMs: 5000 },
    });
    await app.service.caughtUp;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('shows the stats, the connection state and a live table that updates as events arrive', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const response = await page.goto(`${app.service.url}/`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.title()).toContain('intent-projector');

    // connected, subscribed: stats arrive and match the service's own counts
    await expect.poll(() => page.getByTestId('connection-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('connected');
    await expect.poll(async () => Number(await page.getByTestId('stat-total').textContent()), { timeout: 10_000 }).toBeGreaterThan(0);
    const first = await statsOnPage(page);
    expect(first.total).toBe(first.submitted + first.matched + first.executing + first.completed + first.failed + first.cancelled);

    // live events fill the table with formatted intents
    await expect.poll(() => page.getByTestId('intent-row').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    const row = page.getByTestId('intent-row').first();
    const intentId = await row.getAttribute('data-intent-id');
    expect(intentId).toMatch(/^0x[0-9a-f]{64}$/);
    await expect.poll(async () => (await row.locator('[data-field="route"]').textContent()) ?? '').toContain('→');
    const status = await row.getAttribute('data-status');
    expect([
      'proofs_pending',
      'proofs_verified',
      'matched',
      'waiting_for_source_lock',
      'executing',
      'completed',
      'failed',
      'cancelled',
      'removed',
    ]).toContain(status);

    // events per second is computed from what arrives
    await expect
      .poll(async () => Number(await page.getByTestId('events-per-second').textContent()), { timeout: 10_000 })
      .toBeGreaterThan(0);

    // the page keeps updating: the counts change and some intent moves through several statuses
    await expect.poll(async () => JSON.stringify(await statsOnPage(page)), { timeout: 15_000 }).not.toBe(JSON.stringify(first));
    await expect
      .poll(
        async () => {
          const cells = await page.locator('[data-field="transitions"]').allTextContents();
          return Math.max(0, ...cells.map((c) => c.split('→').length));
        },
        { timeout: 20_000 },
      )
      .toBeGreaterThanOrEqual(3);

    // the table agrees with the service: a shown intent's row converges to the status /intents gives
    const shown = await page.getByTestId('intent-row').first().getAttribute('data-intent-id');
    expect(shown).toMatch(/^0x[0-9a-f]{64}$/);
    await expect
      .poll(
        async () => {
          const res = await fetch(`${app.service.url}/intents/${shown}`);
          const row = page.locator(`[data-testid="intent-row"][data-intent-id="${shown}"]`);
          if (res.status === 404) return 'removed'; // removed meanwhile: the page strikes it through
          const server = ((await res.json()) as { status: string }).status;
          return server === (await row.getAttribute('data-status')) ? 'same' : `server ${server}`;
        },
        { timeout: 15_000 },
      )
      .toMatch(/^(same|removed)$/);

    // and the page's stats converge to the service's /stats
    await expect
      .poll(
        async () => {
          const server = (await (await fetch(`${app.service.url}/stats`)).json()) as Record<string, number>;
          const onPage = await statsOnPage(page);
          return Math.abs((server['total'] ?? 0) - onPage.total);
        },
        { timeout: 10_000 },
      )
      .toBeLessThanOrEqual(5);

    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/dashboard.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  it('charts events/s and consumer lag with the chart library the service serves itself', async () => {
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(app.service.url) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    await page.reload();
    expect(await page.evaluate(() => typeof (window as unknown as { uPlot?: unknown }).uPlot)).toBe('function');
    // a sample every 2 s: a few points, each drawn on a canvas
    for (const id of ['chart-events', 'chart-lag']) {
      await expect
        .poll(async () => Number(await page.getByTestId(id).getAttribute('data-points')), { timeout: 20_000 })
        .toBeGreaterThanOrEqual(2);
      expect(await page.getByTestId(id).locator('canvas').count()).toBe(1);
    }
    // the simulator keeps the service busy: some sample shows events applied
    await expect
      .poll(async () => Number(await page.getByTestId('chart-events').getAttribute('data-last')), { timeout: 20_000 })
      .toBeGreaterThan(0);
    const lag = Number(await page.getByTestId('chart-lag').getAttribute('data-last'));
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(foreign).toEqual([]);
  });

  it('opens one intent from the table: projection, HTLC timeline with tx hashes, as the service has it', async () => {
    await expect.poll(() => page.getByTestId('intent-row').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    // rows reorder as intents change: take one and click the row of that id
    const id = (await page.getByTestId('intent-row').first().getAttribute('data-intent-id')) ?? '';
    // the table is redrawn four times a second, so a row is never "stable" for a pointer click:
    // dispatch the click on it (it bubbles to the table's listener as a user's click does)
    await page.locator(`[data-testid="intent-row"][data-intent-id="${id}"]`).dispatchEvent('click');
    await expect.poll(() => page.getByTestId('intent-detail').isVisible()).toBe(true);
    expect(await page.getByTestId('detail-id').textContent()).toBe(id);
    await expect.poll(() => page.getByTestId('intent-detail').getAttribute('data-loaded'), { timeout: 10_000 }).toMatch(/true|missing/);
    // converges to the service's projection (it may move on meanwhile)
    await expect
      .poll(
        async () => {
          const res = await fetch(`${app.service.url}/intents/${id}`);
          if (res.status === 404) return 'gone';
          const server = (await res.json()) as { status: string; htlcState: string; txHashes: Record<string, string> };
          const shown = await page.getByTestId('detail-fields').locator('[data-field="htlcState"]').textContent();
          const hashes = await page.getByTestId('tx-hash').allTextContents();
          const status = await page.getByTestId('detail-status').getAttribute('data-status');
          return status === server.status &&
            shown === server.htlcState &&
            hashes.sort().join() === Object.values(server.txHashes).sort().join()
            ? 'same'
            : `server ${server.status}/${server.htlcState}, page ${status}/${shown}`;
        },
        { timeout: 15_000 },
      )
      .toMatch(/^(same|gone)$/);
    const steps = await page
      .getByTestId('timeline-step')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-step'), e.getAttribute('data-done')]));
    expect(steps.slice(0, 8).map((s) => s[0])).toEqual([
      'submitted',
      'proofs_verified',
      'matched',
      'source_locked',
      'destination_locked',
      'destination_withdrawn',
      'source_withdrawn',
      'completed',
    ]);
    expect(steps[0]?.[1]).toBe('true');
  });

  it('finds an intent by id and shows its settlement proof; refuses a malformed id', async () => {
    await page.getByTestId('intent-search').fill('0x1234');
    await page.getByTestId('intent-search').press('Enter');
    await expect.poll(() => page.getByTestId('search-error').isVisible()).toBe(true);

    // a completed intent with a settlement proof (most completed ones get one)
    let found: { id: string; proof: string } | undefined;
    await expect
      .poll(
        async () => {
          const ids = await page
            .locator('[data-testid="intent-row"][data-status="completed"]')
            .evaluateAll((els) => els.map((e) => e.getAttribute('data-intent-id')));
          for (const id of ids) {
            const res = await fetch(`${app.service.url}/intents/${id}/settlement-proof`);
            if (res.ok) {
              found = { id: id ?? '', proof: ((await res.json()) as { proof: string }).proof };
              return true;
            }
          }
          return false;
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    if (found === undefined) throw new Error('unreachable');
    await page.getByTestId('intent-search').fill(found.id.toUpperCase().replace('0X', '0x'));
    await page.getByTestId('intent-search').press('Enter');
    await expect.poll(() => page.getByTestId('detail-id').textContent()).toBe(found.id);
    await expect.poll(() => page.getByTestId('settlement-proof').textContent(), { timeout: 10_000 }).toBe(found.proof);
    const done = await page
      .getByTestId('timeline-step')
      .evaluateAll((els) => els.filter((e) => e.getAttribute('data-done') === 'true').length);
    expect(done).toBe(8);
    expect(await page.getByTestId('tx-hash').count()).toBeGreaterThanOrEqual(4);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/dashboard-detail.png', fullPage: true });
  });

  it('shows the connection as lost when the service goes away', async () => {
    await app.stop();
    await expect
      .poll(() => page.getByTestId('connection-state').getAttribute('data-state'), { timeout: 10_000 })
      .toMatch(/reconnecting|disconnected/);
  });
});
