/**
 * The shop's live page (examples/shop/live) in headless Chromium (Debian's /usr/bin/chromium, driven
 * by playwright-core): the example's own configuration with a real connector and gateway on a fresh
 * copy of the shop database. The page's rows are compared with the SELECT they stand for; no timing
 * assertions, every wait is "until it holds". Screenshots: test-artifacts/live-page/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import { issueToken } from '@distributary/client/server';
import { loadConfig, type DistributaryConfig } from '@distributary/config';
import { Gateway } from '@distributary/gateway';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import {
  createTestDatabase,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';
import { startLivePage, SUBSCRIPTION, type LivePage } from '../../examples/shop/live/server';
import { loadShop } from '../../examples/shop/load';
import { runWriter } from '../../examples/shop/writer';

const ROOT = resolve(__dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'live-page');

interface ProductRow {
  id: number;
  name: string;
  price: string;
  stock: number;
  status: string;
}

let db: TestDatabase;
let config: DistributaryConfig;
let connector: Connector;
let connectorRun: Promise<void>;
let redis: RedisClient;
let gateway: Gateway;
let live: LivePage;
let context: BrowserContext;
let page: Page;
let profileDir: string;
let namespace: string;
/** The category the page shows, and another one to move products between. */
let category: number;
let other: number;

beforeAll(async () => {
  execFileSync('bash', [join(ROOT, 'scripts/extras/chromium.sh')], { stdio: 'inherit' }); // on first use
  mkdirSync(ARTIFACTS, { recursive: true });
  db = await createTestDatabase('live');
  await loadShop(db.url);
  namespace = uniqueName('live');
  config = loadConfig(join(ROOT, 'examples/shop/distributary.yaml'), {
    env: {
      ...process.env,
      PG_URL: db.url,
      VIEW_PG_URL: db.url,
      LOG_REDIS_URL: redisUrl(),
      SHOP_SLOT: namespace,
      SHOP_NAMESPACE: namespace,
    },
  });
  // The gateway reads initial states from PostgreSQL: the log needs only what happens from now on.
  config.source.postgres.snapshot = 'never';
  connector = new Connector({ config, logger: silentLogger });
  connectorRun = connector.run().catch(() => undefined);
  await waitFor('the connector to stream from its slot', async () => {
    return await slotStreaming(db, namespace);
  });
  redis = connectRedis({ url: redisUrl() });
  gateway = new Gateway({
    gateway: config.gateway!,
    subscriptions: config.subscriptions!,
    redis,
    namespace,
    partitions: config.log.partitions,
    sourceUrl: db.url,
    port: 0,
  });
  const gatewayPort = await gateway.start();
  live = await startLivePage({ config, port: 0, gatewayUrl: `http://127.0.0.1:${gatewayPort}` });
  const counts = await db.sql<{ category_id: number }>(
    `SELECT category_id FROM products GROUP BY category_id ORDER BY count(*) DESC, category_id LIMIT 2`,
  );
  [category, other] = counts.map((r) => r.category_id);
  profileDir = mkdtempSync(join(tmpdir(), 'distributary-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    viewport: { width: 1200, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
}, 180_000);

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await live?.close();
  await gateway?.stop();
  await connector?.stop();
  await connectorRun;
  if (redis) {
    const found = await redis.keys(`*${namespace}*`);
    if (found.length) await redis.del(...found);
    redis.disconnect();
  }
  await db?.drop();
}, 180_000);

async function source(): Promise<ProductRow[]> {
  return db.sql<ProductRow & Record<string, unknown>>(
    `SELECT id, name, price::text AS price, stock, status FROM products WHERE category_id = $1 ORDER BY id`,
    [category],
  );
}

async function shown(): Promise<ProductRow[]> {
  return page.$$eval('[data-testid=product]', (rows) =>
    rows.map((row) => {
      const cell = (name: string) => row.querySelector(`[data-col=${name}]`)?.textContent ?? '';
      return {
        id: Number(cell('id')),
        name: cell('name'),
        price: cell('price'),
        stock: Number(cell('stock')),
        status: cell('status'),
      };
    }),
  );
}

/** Waits until the page shows exactly the SELECT's rows, then asserts it (a clear diff if never). */
async function showsSource(what: string): Promise<void> {
  let expected: ProductRow[] = [];
  await waitFor(
    what,
    async () => {
      expected = await source();
      return JSON.stringify(await shown()) === JSON.stringify(expected);
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  ).catch(() => undefined);
  expect(await shown()).toEqual(expected);
}

const status = async () => page.getByTestId('status').getAttribute('data-status');

describe('the live page in headless Chromium', () => {
  it('shows the category, then a price change and the writer’s changes', async () => {
    await page.goto(`${live.url}/?category=${category}`);
    await page.locator('main[data-ready=true]').waitFor({ timeout: 60_000 });
    await showsSource('the initial state');
    expect((await shown()).length).toBeGreaterThan(10);

    const [first] = await source();
    await db.sql(`UPDATE products SET price = 123.45 WHERE id = $1`, [first.id]);
    await waitFor('the new price on the page', async () =>
      (await shown()).some((p) => p.id === first.id && p.price === '123.45'),
    );
    await page.screenshot({ path: join(ARTIFACTS, '01-price-change.png'), fullPage: true });

    const done = await runWriter({ url: db.url, rate: 200, seed: 19, count: 200 }, new AbortController().signal);
    expect(done['update product price/stock']).toBeGreaterThan(0);
    await showsSource('the writer’s changes');
    expect(await status()).toBe('live');
  });

  it('catches up after being offline: no gap, no duplicate', async () => {
    const [{ id: added }] = await db.sql<{ id: number }>(
      `INSERT INTO products (id, category_id, name, description, price, stock)
       SELECT max(id) + 1, $1, 'Added before going offline', 'x', 5, 1 FROM products RETURNING id`,
      [category],
    );
    await waitFor('the added product', async () => (await shown()).some((p) => p.id === added));
    const before = await shown();
    const lastEventId = await page.locator('main').getAttribute('data-last-event-id');

    const resumes: (string | undefined)[] = [];
    page.on('request', (request) => {
      if (request.method() === 'GET' && request.url().startsWith(`${live.gatewayUrl}/v1/subscriptions/`))
        resumes.push(request.headers()['last-event-id']);
    });
    await context.setOffline(true);
    await waitFor('the page to notice', async () => (await status()) !== 'live');
    // Random writes first, then the moves and the delete the assertions below look for.
    await runWriter({ url: db.url, rate: 200, seed: 23, count: 100 }, new AbortController().signal);
    const [stays, leaves] = (await source()).filter((p) => p.id !== added);
    const [enters] = await db.sql<{ id: number }>(
      `SELECT id FROM products WHERE category_id = $1 ORDER BY id LIMIT 1`,
      [other],
    );
    await db.sql(`UPDATE products SET price = price + 1, stock = stock + 5 WHERE id = $1`, [stays.id]);
    await db.sql(`UPDATE products SET category_id = $2 WHERE id = $1`, [leaves.id, other]);
    await db.sql(`UPDATE products SET category_id = $2, name = 'Moved in while offline' WHERE id = $1`, [
      enters.id,
      category,
    ]);
    await db.sql(`DELETE FROM products WHERE id = $1`, [added]);
    // Offline, the page keeps the copy it had.
    expect(await shown()).toEqual(before);
    await page.screenshot({ path: join(ARTIFACTS, '02-offline.png'), fullPage: true });

    await context.setOffline(false);
    await waitFor('live again', async () => (await status()) === 'live', { timeoutMs: 60_000 });
    await showsSource('the page to catch up');
    const after = await shown();
    expect(new Set(after.map((p) => p.id)).size).toBe(after.length);
    expect(after.some((p) => p.id === enters.id && p.name === 'Moved in while offline')).toBe(true);
    expect(after.some((p) => p.id === leaves.id || p.id === added)).toBe(false);
    expect(await page.locator('main').getAttribute('data-last-event-id')).not.toBe(lastEventId);
    // It resumed from its last id (Last-Event-ID), not from a fresh initial state.
    expect(resumes.length).toBeGreaterThan(0);
    expect(resumes[0]).toBe(lastEventId);
    expect(resumes.every((id) => id)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, '03-caught-up.png'), fullPage: true });
  });

  it('renews its token from the backend each time the gateway says `expired`, and stays live', async () => {
    const shortLived = await startLivePage({ config, port: 0, gatewayUrl: live.gatewayUrl, tokenTtl: 3 });
    try {
      let minted = 0;
      page.on('request', (request) => {
        if (request.url().startsWith(`${shortLived.url}/api/token`)) minted++;
      });
      await page.goto(`${shortLived.url}/?category=${category}`);
      await page.locator('main[data-ready=true]').waitFor({ timeout: 60_000 });
      await waitFor('three tokens', async () => minted >= 3, { timeoutMs: 60_000 });
      const [first] = await source();
      await db.sql(`UPDATE products SET price = 7.77 WHERE id = $1`, [first.id]);
      await showsSource('the change after token renewals');
      expect(await status()).toBe('live');
      expect(await page.getByTestId('error').count()).toBe(0);
    } finally {
      await shortLived.close();
    }
  });

  it('refuses expired, forged and other-category tokens (the page shows the gateway’s 401/403)', async () => {
    const key = config.gateway!.keys[0];
    const expired = await new SignJWT({ sub: SUBSCRIPTION, prm: { category: String(category) } })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .setAudience('distributary-gateway')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 5)
      .sign(new TextEncoder().encode(key.secret));
    const forged = await issueToken({
      subscription: SUBSCRIPTION,
      params: { category },
      key: { kid: key.kid, secret: 'a-forger-does-not-know-the-secret-0123456789' },
    });
    const otherCategory = await issueToken({ subscription: SUBSCRIPTION, params: { category: other }, key });
    const cases: [string, string, RegExp][] = [
      ['expired', expired, /^401: token expired/],
      ['forged', forged, /^401: invalid token/],
      ['other-category', otherCategory, /^403: token is for other parameters/],
    ];
    for (const [name, token, message] of cases) {
      await page.goto('about:blank');
      await page.goto(`${live.url}/?category=${category}#token=${token}`);
      await page.getByTestId('error').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('error').textContent()).toMatch(message);
      expect(await status()).toBe('failed');
      expect(await shown()).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, `04-refused-${name}.png`), fullPage: true });
    }
    // And straight from the browser, without the client library.
    const answered = await page.evaluate(
      async ([url, token]) => (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status,
      [`${live.gatewayUrl}/v1/subscriptions/${SUBSCRIPTION}?category=${category}`, forged],
    );
    expect(answered).toBe(401);
  });
});
