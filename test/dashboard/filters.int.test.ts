/**
 * The dashboard's filters in a real headless Chromium, on the real service over the real broker:
 * status, chain, solver and user set in the page show exactly the intents `GET /intents` gives for
 * the same filter (asked of the server, not hard-coded), the filter lives in the address (a reload
 * keeps it), and the filtered table stays live: an intent produced to Kafka that comes to match
 * appears, and leaves when its status moves on. Saves test-artifacts/dashboard-filters.png.
 */
import { mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntentEventInput } from '../../src/contract/events.js';
import type { FormattedIntent } from '../../src/contract/socket.js';
import { kafka } from '../support/broker.js';
import { generateHistory, wireEvent } from '../support/histories.js';
import {
  createTestTopics,
  eventually,
  produceEvents,
  type RunningService,
  startKafkaService,
  type TestTopics,
} from '../support/service-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run'];

type Filter = Partial<Record<'status' | 'fromChain' | 'toChain' | 'solver' | 'user', string | number>>;

let topics: TestTopics;
let node: RunningService;
let browser: Browser;
let page: Page;
let url: string;
let intents: FormattedIntent[];

async function produceApplied(events: readonly IntentEventInput[]): Promise<void> {
  const before = node.service.pipeline.records;
  await produceEvents(kafka('dashboard-filters'), topics, events);
  await eventually(() => node.service.pipeline.records >= before + events.length, 30_000, `${events.length} records applied`);
}

/** The ids GET /intents gives for the filter, newest first (the table's 50 rows). */
async function serverIds(filter: Filter): Promise<string[]> {
  const q = new URLSearchParams(Object.entries(filter).map(([k, v]) => [k, String(v)]));
  q.set('limit', '50');
  const res = await fetch(`${url}/intents?${q}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { intents: FormattedIntent[] }).intents.map((i) => i.intentId);
}

const shownIds = (): Promise<string[]> =>
  page.getByTestId('intent-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-intent-id') ?? ''));

/** Polls until the table shows exactly, in order, what the server lists for the filter. */
async function showsServerList(filter: Filter): Promise<string[]> {
  await expect.poll(() => page.getByTestId('filter-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('live');
  let want: string[] = [];
  await expect
    .poll(
      async () => {
        want = await serverIds(filter);
        return JSON.stringify(await shownIds()) === JSON.stringify(want) ? 'same' : `page ${await shownIds()} server ${want}`;
      },
      { timeout: 15_000 },
    )
    .toBe('same');
  return want;
}

function mostCommon<T>(xs: readonly T[]): T {
  const counts = new Map<T, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

/** One intent from submission to the source lock (status executing), and the rest to completion. */
function lifecycle(intentId: string, at: number, fromChain: number) {
  const t = (k: number) => at + k * 1000;
  const hash = (c: string) => `0x${c.repeat(64)}`;
  return {
    toExecuting: [
      wireEvent('intent.submitted', {
        intentId,
        at: t(0),
        data: {
          fromChain,
          toChain: fromChain === 1 ? 10 : 1,
          amount: '4200',
          user: `0x${'ab'.repeat(20)}`,
          deadline: Math.floor(at / 1000) + 3600,
        },
      }),
      wireEvent('proof.requested', { intentId, at: t(1) }),
      wireEvent('proof.generating', { intentId, at: t(2) }),
      wireEvent('proof.generated', { intentId, at: t(3) }),
      wireEvent('proof.verified', { intentId, at: t(4) }),
      wireEvent('intent.matched', { intentId, at: t(5), data: { solver: `0x${'cd'.repeat(20)}` } }),
      wireEvent('intent.source_lock_requested', { intentId, at: t(6) }),
      wireEvent('intent.source_locked', { intentId, at: t(7), data: { txHash: hash('1') } }),
    ] as IntentEventInput[],
    toCompleted: [
      wireEvent('intent.destination_locked', { intentId, at: t(8), data: { txHash: hash('2') } }),
      wireEvent('intent.destination_withdrawn', { intentId, at: t(9), data: { txHash: hash('3') } }),
      wireEvent('intent.completed', { intentId, at: t(10), data: { txHash: hash('4') } }),
    ] as IntentEventInput[],
  };
}

describe('dashboard filters', () => {
  beforeAll(async () => {
    topics = await createTestTopics('dashboard-filters', 2);
    node = await startKafkaService(topics, { env: { STATS_INTERVAL_MS: '500' } });
    await node.service.caughtUp;
    url = node.service.url;
    const h = generateHistory({ intents: 80, seed: 1616, startAt: Date.parse('2027-06-01T00:00:00Z') });
    await produceApplied([...h.lifecycle, ...h.proof]);
    intents = ((await (await fetch(`${url}/intents?limit=500`)).json()) as { intents: FormattedIntent[] }).intents;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
  });

  it('status, chain, solver and user show exactly what GET /intents gives for the same filter', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/`);
    await expect.poll(() => page.getByTestId('connection-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('connected');
    expect(await page.getByTestId('filter-state').getAttribute('data-state')).toBe('off');

    // the filter values come from the server's data
    const chain = mostCommon(intents.flatMap((i) => (i.fromChain === null ? [] : [i.fromChain])));
    const status = mostCommon(intents.filter((i) => i.fromChain === chain).map((i) => i.status));
    await page.getByTestId('filter-status').selectOption(status);
    await showsServerList({ status });
    await page.getByTestId('filter-from-chain').selectOption(String(chain));
    const both = await showsServerList({ status, fromChain: chain });
    expect(both.length).toBeGreaterThan(0);
    expect(new Set(await page.getByTestId('intent-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))))).toEqual(
      new Set([status]),
    );
    // the address keeps it: a reload shows the same filter
    expect(new URL(page.url()).searchParams.get('status')).toBe(status);
    expect(new URL(page.url()).searchParams.get('fromChain')).toBe(String(chain));
    await page.reload();
    expect(await page.getByTestId('filter-status').inputValue()).toBe(status);
    await showsServerList({ status, fromChain: chain });

    // destination chain
    await page.getByTestId('filter-clear').click();
    await expect.poll(() => page.getByTestId('filter-state').getAttribute('data-state')).toBe('off');
    const toChain = mostCommon(intents.flatMap((i) => (i.toChain === null ? [] : [i.toChain])));
    await page.getByTestId('filter-to-chain').selectOption(String(toChain));
    expect((await showsServerList({ toChain })).length).toBeGreaterThan(0);

    // solver and user are typed (or picked from the suggestions), applied on Enter
    await page.getByTestId('filter-clear').click();
    const solver = mostCommon(intents.flatMap((i) => (i.solver === null ? [] : [i.solver])));
    await page.getByTestId('filter-solver').fill(solver);
    await page.getByTestId('filter-solver').press('Enter');
    expect((await showsServerList({ solver })).length).toBeGreaterThan(0);
    await page.getByTestId('filter-clear').click();
    const user = intents.find((i) => i.user !== null)!.user!;
    await page.getByTestId('filter-user').fill(user);
    await page.getByTestId('filter-user').press('Enter');
    expect(await showsServerList({ user })).toContain(intents.find((i) => i.user === user)!.intentId);

    mkdirSync('test-artifacts', { recursive: true });
    await page.getByTestId('filter-clear').click();
    await page.getByTestId('filter-from-chain').selectOption(String(chain));
    await showsServerList({ fromChain: chain });
    await page.screenshot({ path: 'test-artifacts/dashboard-filters.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  it('stays live: an intent produced to Kafka appears when it comes to match and leaves when its status moves on', async () => {
    const chain = mostCommon(intents.flatMap((i) => (i.fromChain === null ? [] : [i.fromChain])));
    await page.getByTestId('filter-clear').click();
    await page.getByTestId('filter-from-chain').selectOption(String(chain));
    await page.getByTestId('filter-status').selectOption('executing');
    const filter = { fromChain: chain, status: 'executing' };
    await showsServerList(filter);

    const id = `0x${'f1'.repeat(32)}`;
    const life = lifecycle(id, Date.parse('2027-06-02T00:00:00Z'), chain);
    await produceApplied(life.toExecuting);
    await expect.poll(async () => ((await (await fetch(`${url}/intents/${id}`)).json()) as FormattedIntent).status).toBe('executing');
    expect(await showsServerList(filter)).toContain(id);
    expect(await page.locator(`[data-testid="intent-row"][data-intent-id="${id}"]`).getAttribute('data-status')).toBe('executing');

    await produceApplied(life.toCompleted);
    await expect.poll(async () => ((await (await fetch(`${url}/intents/${id}`)).json()) as FormattedIntent).status).toBe('completed');
    expect(await showsServerList(filter)).not.toContain(id);

    // the chain alone: a new intent appears at the top on its submission
    await page.getByTestId('filter-status').selectOption('');
    await showsServerList({ fromChain: chain });
    const next = `0x${'f2'.repeat(32)}`;
    await produceApplied(lifecycle(next, Date.parse('2027-06-03T00:00:00Z'), chain).toExecuting.slice(0, 1));
    const shown = await showsServerList({ fromChain: chain });
    expect(shown[0]).toBe(next);
    await page.screenshot({ path: 'test-artifacts/dashboard-filters-live.png', fullPage: true });
  });

  it("a row that came to match stays when the page's own subscribe:all connection brings the intent's older changes late", async () => {
    const chain = mostCommon(intents.flatMap((i) => (i.fromChain === null ? [] : [i.fromChain])));
    const id = `0x${'f3'.repeat(32)}`;
    // the page's subscribe:all connection (dashboard.js) lags the filter's (filters.js): its frames
    // about the intent wait until released, then a marker frame tells when the page has read them
    const held: string[] = [];
    let lagging = true;
    let allAcked = false; // the server has answered the page's subscribe:all: the room is joined
    const lag: { release: ((marker: string) => void) | null } = { release: null };
    const lagged = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await lagged.routeWebSocket(/\/socket\.io\//, (ws) => {
      const server = ws.connectToServer();
      let all = false;
      ws.onMessage((m) => {
        if (typeof m === 'string' && m.includes('"subscribe:all"')) {
          all = true;
          lag.release = (marker) => {
            lagging = false;
            for (const f of held) ws.send(f);
            ws.send(marker);
          };
        }
        server.send(m);
      });
      server.onMessage((m) => {
        if (all && typeof m === 'string' && m.startsWith('43')) allAcked = true;
        if (all && typeof m === 'string' && m.startsWith('42["mempool:stats"') && !lagging) return; // the marker stays shown
        if (all && lagging && typeof m === 'string' && m.includes(id)) held.push(m);
        else ws.send(m);
      });
    });
    try {
      await lagged.goto(`${url}/?fromChain=${chain}&status=executing`);
      await expect.poll(() => lagged.getByTestId('filter-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('live');
      // both connections must be in their rooms before the intent's first record, or the lagging one
      // never sees the states before it came to match (the filter going live says nothing of it)
      await expect.poll(() => allAcked, { timeout: 10_000 }).toBe(true);
      await produceApplied(lifecycle(id, Date.parse('2027-06-04T00:00:00Z'), chain).toExecuting);
      const row = lagged.locator(`[data-testid="intent-row"][data-intent-id="${id}"]`);
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('executing');
      // what the lagging connection kept includes the intent's states before it came to match (its
      // frames come on another socket than the filter's: they may reach the route after the row)
      await expect.poll(() => held.some((f) => f.includes('"proofs_pending"') || f.includes('"matched"')), { timeout: 15_000 }).toBe(true);
      expect(lag.release).not.toBeNull();
      lag.release!(`42["mempool:stats",{"total":424242}]`);
      await expect.poll(() => lagged.getByTestId('stat-total').textContent(), { timeout: 10_000 }).toBe('424242');
      // the table renders every 250 ms (dashboard.js): a timer due later runs after the next render
      await lagged.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
      expect(await row.count()).toBe(1);
      expect(await row.getAttribute('data-status')).toBe('executing');
      expect(await serverIds({ fromChain: chain, status: 'executing' })).toContain(id);
    } finally {
      await lagged.close();
    }
  });
});
