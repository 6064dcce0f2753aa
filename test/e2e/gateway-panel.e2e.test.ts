/**
 * The dashboard's "Subscription gateways" panel in headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core): a real connector and gateway (libs/gateway's test pipeline), a live
 * subscription opened over SSE, writes to the rows it watches, and the real admin app serving the
 * built dashboard. The panel must show this gateway with one subscriber and a positive delivery
 * rate. Every wait is "until it holds". Screenshot: test-artifacts/gateway-panel/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdmin, type RunningAdmin } from '../../apps/admin/src';
import { issueToken } from '@distributary/gateway';
import { waitFor } from '@distributary/testkit';
import {
  KEY,
  startGatewayPipeline,
  SUBSCRIPTION,
  type GatewayPipeline,
} from '../../libs/gateway/test/gateway-pipeline';
import { SseClient } from '../../libs/gateway/test/sse-client';

const ROOT = resolve(__dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'gateway-panel');
const TOKEN = 'operator-token-for-the-gateway-panel';

let p: GatewayPipeline;
let admin: RunningAdmin;
let context: BrowserContext;
let page: Page;
let profileDir: string;
let client: SseClient | undefined;

beforeAll(async () => {
  execFileSync('bash', [join(ROOT, 'scripts/setup.d/dashboard.sh')], { stdio: 'inherit' });
  execFileSync('bash', [join(ROOT, 'scripts/extras/chromium.sh')], { stdio: 'inherit' }); // on first use
  mkdirSync(ARTIFACTS, { recursive: true });
  p = await startGatewayPipeline();
  await p.db.sql(`INSERT INTO items SELECT i, 1, 'item ' || i, i, NULL FROM generate_series(1, 5) i`);
  admin = await startAdmin(
    { ...p.config, admin: { ...p.config.admin, port: 0, tokens: [{ token: TOKEN, role: 'operator' }] } },
    { port: 0, envTokens: '' },
  );
  profileDir = mkdtempSync(join(tmpdir(), 'distributary-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    viewport: { width: 1440, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
}, 180_000);

afterAll(async () => {
  client?.close();
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await admin?.close();
  await p?.stop();
}, 180_000);

/** The panel's row for a gateway: [gateway, subscribers, delivered/s, lag p50, lag p99, drops]. */
async function panelRows(): Promise<string[][]> {
  return page.$$eval('[data-testid=gateways-table] tbody tr', (rows) =>
    rows.map((row) => Array.from(row.querySelectorAll('td'), (cell) => cell.textContent?.trim() ?? '')),
  );
}

describe('dashboard gateway panel in headless Chromium', () => {
  it('shows the gateway with its subscriber and events delivered per second for a live subscription', async () => {
    client = await SseClient.open(`${p.url}/v1/subscriptions/${SUBSCRIPTION}?category=1`, {
      authorization: `Bearer ${await issueToken({ subscription: SUBSCRIPTION, params: { category: '1' }, ttlSeconds: 600, key: KEY })}`,
    });
    await client.waitForEvent('ready');

    await page.goto(admin.url);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('flow').waitFor();

    // Writes to the subscribed rows keep the gateway delivering while the panel is watched.
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        await p.db.sql(`UPDATE items SET price = price + 1 WHERE id = $1`, [(n++ % 5) + 1]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    let rows: string[][] = [];
    try {
      await waitFor(
        'the panel to show one subscriber and deliveries per second',
        async () => {
          rows = await panelRows();
          const mine = rows.find((row) => row[0].endsWith(`:${process.pid}`));
          return mine && mine[1] === '1' && Number(mine[2].replace(/,/g, '')) > 0 ? mine : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      ).catch(() => undefined);
    } finally {
      writing = false;
      await writer;
    }
    await page.screenshot({ path: join(ARTIFACTS, 'gateway-panel.png'), fullPage: true });
    expect(await page.getByRole('heading', { name: 'Subscription gateways' }).isVisible()).toBe(true);
    const mine = rows.find((row) => row[0].endsWith(`:${process.pid}`));
    expect(mine?.[1]).toBe('1');
    expect(Number(mine?.[2].replace(/,/g, ''))).toBeGreaterThan(0);
    expect(mine?.[5]).toBe('0');
  });
});
