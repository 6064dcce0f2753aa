import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendDeadLetter, type LogKeys, type RedisClient } from '@distributary/changelog';
import type { ChangeEvent } from '@distributary/core';
import { uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import type { DistributaryConfig } from '@distributary/config';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import { SinkRunner } from '@distributary/worker';
import { startAdmin, type RunningAdmin } from './index';
import { closeAdminTestEnv, openAdminTestEnv, type AdminTestEnv } from './testing/admin-test-env';
import { appendEvents, OPERATOR_TOKEN, productEvents, RecordingSink, VIEWER_TOKEN } from './testing/pipeline-fixture';

/** End to end in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core). */
const ROOT = resolve(__dirname, '../../..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'dashboard');
const SINK = 'product-cache';
const OTHER_SINK = 'product-search';
const PARTITIONS = 2;

let env: AdminTestEnv;
let config: DistributaryConfig;
let db: TestDatabase;
let redis: RedisClient;
let keys: LogKeys;
let admin: RunningAdmin;
let sink: RecordingSink;
let namespace: string;
let context: BrowserContext;
let page: Page;
let profileDir: string;
let connectorConfig: DistributaryConfig;
/** The real connector (started by the snapshot test, kept for the dead-letter replay) and a worker for SINK. */
let connector: Connector | undefined;
let connectorRun: Promise<void> | undefined;
let runner: SinkRunner | undefined;

async function shot(name: string): Promise<void> {
  // From the top: a full-page capture of a scrolled page draws the sticky top bar mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function text(testId: string): Promise<string> {
  return (await page.getByTestId(testId).textContent({ timeout: 10_000 })) ?? '';
}

beforeAll(async () => {
  execFileSync('bash', [join(ROOT, 'scripts/setup.d/dashboard.sh')], { stdio: 'inherit' });
  execFileSync('bash', [join(ROOT, 'scripts/extras/chromium.sh')], { stdio: 'inherit' }); // on first use
  mkdirSync(ARTIFACTS, { recursive: true });
  env = await openAdminTestEnv('dash', { partitions: PARTITIONS, sinks: [SINK, OTHER_SINK] });
  ({ namespace, db, redis, keys, config } = env);
  sink = new RecordingSink(SINK, redis, `${namespace}:applied`);
  // The connector gets a slot of its own: the one above predates the publication it creates.
  const connectorSlot = uniqueName('dash_conn');
  connectorConfig = {
    ...config,
    source: {
      ...config.source,
      postgres: { ...config.source.postgres, slot: connectorSlot, publication: connectorSlot, snapshot: 'never' },
    },
  };
  admin = await startAdmin(config, { port: 0, envTokens: '' });
  profileDir = mkdtempSync(join(tmpdir(), 'distributary-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await runner?.stop();
  await connector?.stop();
  await connectorRun?.catch(() => undefined);
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await closeAdminTestEnv(env, admin);
});

describe('dashboard in headless Chromium', () => {
  it('refuses a wrong token and logs in with a real one', async () => {
    await page.goto(admin.url);
    await page.getByLabel('API token').waitFor();
    await shot('01-login');
    await page.getByLabel('API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token is not valid.').waitFor();
    await page.getByLabel('API token').fill(OPERATOR_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('flow').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('distributary.token'))).toBe(OPERATOR_TOKEN);
    expect(await text(`lag-${SINK}`)).toBe('0');
  });

  it('shows lag rising when events are appended and falling when positions are committed', async () => {
    const last = await appendEvents(redis, keys, PARTITIONS, productEvents(40, { ageMs: 3000 }));
    await waitFor('lag of 40 on the dashboard', async () => (await text(`lag-${SINK}`)) === '40');
    expect(await text(`lag-${OTHER_SINK}`)).toBe('40');
    expect(await text('log-entries')).toBe('40');
    // Let the live charts gather a few samples, then keep the picture.
    await waitFor('charts drawn', async () => (await page.locator('.recharts-line').count()) >= 3);
    await shot('02-lag-rising');

    for (const [partition, id] of last) await redis.hset(keys.positions(partition), SINK, id);
    await waitFor('lag back to 0', async () => (await text(`lag-${SINK}`)) === '0');
    expect(await text(`lag-${OTHER_SINK}`)).toBe('40');
    await shot('03-lag-falling');
  });

  it('pauses a sink after confirmation', async () => {
    await page.getByTestId(`sink-${OTHER_SINK}`).getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Pause' }).click();
    await page.getByTestId(`sink-${OTHER_SINK}`).getByText('paused').waitFor();
    expect(await redis.smembers(keys.pausedSinks())).toEqual([OTHER_SINK]);
  });

  it('shows snapshot progress bars and starts a new snapshot from the dashboard', async () => {
    await redis.hset(keys.initialSnapshot(), { status: 'done', rowsDone: '1200', rowsTotal: '1200' });
    await redis.zadd(keys.snapshots(), Date.now(), 'snap1');
    await redis.hset(keys.snapshot('snap1'), {
      status: 'running',
      rowsDone: '300',
      rowsTotal: '800',
      tables: '["public.products"]',
    });
    const bars = page.getByRole('progressbar');
    await waitFor('two progress bars', async () => (await bars.count()) === 2);
    expect(await bars.nth(0).getAttribute('aria-valuenow')).toBe('100');
    expect(await bars.nth(1).getAttribute('aria-valuenow')).toBe('38');
    await page.getByRole('button', { name: 'Start snapshot…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Start snapshot' }).click();
    await waitFor('the new snapshots to appear with their bars', async () => (await bars.count()) > 2);
    await shot('06-snapshots');
  });

  it('signs out, and shows a viewer the numbers without any action button', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').fill(VIEWER_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('flow').waitFor();
    expect(await text(`lag-${OTHER_SINK}`)).toBe('40');
    expect(await page.getByRole('button', { name: /^(Pause|Resume|Replay…|Start snapshot…)$/ }).count()).toBe(0);
    await shot('07-viewer');
  });

  it('runs a snapshot started from the dashboard through a real connector and shows its bar filling up', async () => {
    await db.sql(`CREATE TABLE products (id text PRIMARY KEY, name text, price numeric)`);
    await db.sql(`INSERT INTO products SELECT g::text, 'product ' || g, 9.99 FROM generate_series(1, 2000) g`);
    const running = new Connector({ config: connectorConfig, logger: silentLogger });
    connector = running;
    connectorRun = running.run();
    await waitFor('the connector to lead', async () => running.role === 'leader', { timeoutMs: 60_000 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').fill(OPERATOR_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Start snapshot…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Start snapshot' }).click();
    const bars = page.getByRole('progressbar');
    await waitFor(
      'the snapshots started from the dashboard at 100 % (the hand-written snap1 above never moves)',
      async () => {
        const values = await Promise.all(
          Array.from({ length: await bars.count() }, (_, i) => bars.nth(i).getAttribute('aria-valuenow')),
        );
        return values.filter((v) => v === '100').length >= 3;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    await shot('08-snapshot-done');
  });

  it('replays a dead letter by re-reading its key from the source through the connector, and drops one', async () => {
    // Replay applies the source's CURRENT row, never the stale event: the admin API asks the running
    // connector for an incremental snapshot of the dead-lettered key, and the sink's worker applies it.
    // The worker starts at the log's end (everything logged so far counts as applied), so only the
    // replay can bring these two keys to the sink.
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const [last] = (await redis.xrevrange(keys.partition(partition), '+', '-', 'COUNT', 1)) as [string, string[]][];
      if (last) await redis.hset(keys.positions(partition), SINK, last[0]);
    }
    runner = new SinkRunner({
      redis,
      namespace,
      partitions: PARTITIONS,
      sinks: [sink],
      blockMs: 100,
      statusEveryMs: 200,
      logger: silentLogger,
    });
    await runner.start();

    // Two events of rows the source still has (products 7 and 8, inserted above) failed with content the
    // source no longer holds.
    const letters: ChangeEvent[] = productEvents(2, { reject: true }).map((event, i) => {
      const id = String(7 + i);
      return { ...event, op: 'u', key: { id }, after: { id, name: `stale ${id}`, price: '0.01', reject: true } };
    });
    for (const [i, event] of letters.entries())
      await appendDeadLetter(redis, keys, SINK, i, event, `value out of range for column "price" (id ${7 + i})`);
    const applied = async (event: ChangeEvent): Promise<unknown> => {
      const row = await redis.hget(sink.appliedKey, JSON.stringify(event.key));
      return row === null ? null : (JSON.parse(row) as unknown);
    };
    await page.getByRole('tab', { name: new RegExp(SINK) }).click();
    await waitFor('two dead letters listed', async () => (await page.getByTestId('dlq-row').count()) === 2);
    expect(await applied(letters[0])).toBeNull();
    await shot('04-dead-letters');

    sink.rejecting = false; // the target was fixed
    const rows = page.getByTestId('dlq-row');
    await rows.filter({ hasText: '(id 7)' }).getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Replay' }).click();
    await page.getByText('Replay: 1 replayed, 0 failed').waitFor({ timeout: 60_000 });
    await waitFor('one dead letter left', async () => (await rows.count()) === 1);
    expect(await rows.first().textContent()).toContain('(id 8)');
    await waitFor('product 7 applied by the worker', async () => (await applied(letters[0])) !== null, {
      timeoutMs: 30_000,
    });
    expect(await applied(letters[0])).toEqual({ id: '7', name: 'product 7', price: '9.99' }); // the source's row
    expect(await applied(letters[1])).toBeNull(); // only the replayed key was re-read

    await rows.first().getByRole('button', { name: 'Drop' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Drop' }).click();
    await page.getByTestId('dlq-empty').waitFor();
    expect(await redis.xlen(keys.deadLetters(SINK))).toBe(0);
    expect(await applied(letters[1])).toBeNull();
    await shot('05-dead-letters-empty');
  });
});
