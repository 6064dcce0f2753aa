/**
 * Top-N memory is the window, not the table: `limit: 5` over a filter matching 300,000 rows starts
 * (no `overflow`), holds at most N + K rows (K = spareRows(5)), and stays exact when departures
 * (a delete of the first 120 rows in one transaction, then a move of the next 110 out of the filter)
 * starve the window: it is re-read at a snapshot joined with the log and the client gets the
 * difference as one transaction. Real stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import { redisUrl, waitFor } from '@distributary/testkit';
import { Gateway, issueToken, spareRows, topNStats } from '../src';
import { COLUMNS, itemsSubscription, KEY, startGatewayPipeline, type GatewayPipeline } from './gateway-pipeline';
import { isChange, Materialized, SseClient } from './sse-client';

const ROWS = 300_000;
const LIMIT = 5;
const CATEGORY = 77;
const TOP5 = 'top-5-items-by-category';

let p: GatewayPipeline;
let redis: RedisClient;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  p = await startGatewayPipeline();
  // Prices with many ties (ties break by id); one transaction of 300,000 rows.
  await p.db.sql(
    `INSERT INTO items SELECT i, ${CATEGORY}, 'bulk', ((i::bigint * 7919) % 50000) / 100.0, NULL FROM generate_series(1, ${ROWS}) i`,
  );
  await waitFor('the rows in the log', async () => (await p.logLength()) >= ROWS, {
    timeoutMs: 300_000,
    intervalMs: 500,
  });
  redis = connectRedis({ url: redisUrl() });
  gateway = new Gateway({
    gateway: p.config.gateway!,
    subscriptions: [itemsSubscription(TOP5, LIMIT)],
    redis,
    namespace: p.config.log!.namespace,
    partitions: 2,
    sourceUrl: p.db.url,
    port: 0,
  });
  url = `http://127.0.0.1:${await gateway.start()}`;
}, 400_000);
afterAll(async () => {
  await gateway?.stop();
  redis?.disconnect();
  await p?.stop();
}, 180_000);

async function expectedTop5(): Promise<Record<string, unknown>[]> {
  const rows = await p.db.sql(
    `SELECT * FROM (SELECT ${COLUMNS} FROM items WHERE category_id = $1 ORDER BY items.price DESC, id LIMIT ${LIMIT}) t ORDER BY id`,
    [CATEGORY],
  );
  return rows.map((r) => ({ ...r, meta: r.meta === null ? null : JSON.parse(r.meta as string) }));
}

async function settle(client: SseClient): Promise<void> {
  const copy = new Materialized();
  let expected = '';
  await waitFor(
    'the copy to equal the top-5 SELECT',
    async () => {
      copy.rows.clear();
      copy.apply(client.events);
      expected = JSON.stringify(await expectedTop5());
      return JSON.stringify(copy.byId()) === expected || undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  ).catch(() => undefined);
  expect(JSON.stringify(copy.byId())).toBe(expected);
}

describe('gateway top-N memory', () => {
  it('limit 5 over 300,000 matching rows: no overflow, at most N + K rows held, exact through refills', async () => {
    const category = String(CATEGORY);
    const client = await SseClient.open(`${url}/v1/subscriptions/${TOP5}?category=${category}`, {
      authorization: `Bearer ${await issueToken({ subscription: TOP5, params: { category }, ttlSeconds: 600, key: KEY })}`,
    });
    const ready = await client.waitForEvent('ready', 1, 120_000);
    expect(client.events.slice(0, ready).map((e) => e.event)).toEqual(Array(LIMIT).fill('insert'));
    await settle(client);
    const capacity = LIMIT + spareRows(LIMIT);
    expect(topNStats.heldRows).toBeGreaterThan(LIMIT);
    expect(topNStats.heldRows).toBeLessThanOrEqual(capacity);
    expect(topNStats.peakWindowRows).toBeLessThanOrEqual(capacity);

    // The first 120 rows (more than the window holds) leave in one transaction: a refill.
    const refills = topNStats.refills;
    let from = client.events.length;
    await p.db.sql(
      `DELETE FROM items WHERE id IN (SELECT id FROM items WHERE category_id = $1 ORDER BY price DESC, id LIMIT 120)`,
      [CATEGORY],
    );
    await settle(client);
    expect(topNStats.refills).toBeGreaterThan(refills);
    // The difference came as one transaction: 5 deletes and 5 inserts, only the last with an id.
    const group = client.events.slice(from).filter(isChange);
    expect(group.map((e) => e.event)).toEqual([...Array(LIMIT).fill('delete'), ...Array(LIMIT).fill('insert')]);
    expect(group.filter((e) => e.id !== undefined).length).toBe(1);
    expect(group[group.length - 1].id).toBeDefined();

    // The next 110 move out of the filter; then one row enters at the top.
    from = client.events.length;
    await p.db.sql(
      `UPDATE items SET category_id = ${CATEGORY + 1} WHERE id IN (SELECT id FROM items WHERE category_id = $1 ORDER BY price DESC, id LIMIT 110)`,
      [CATEGORY],
    );
    await p.db.sql(`INSERT INTO items VALUES (${ROWS + 1}, ${CATEGORY}, 'top', 9999, NULL)`);
    await settle(client);
    expect(topNStats.refills).toBeGreaterThan(refills + 1);

    // One transaction renames the top row (it stays first) and deletes the next 110: the refill's
    // difference carries the top row's update, next to the backfill.
    from = client.events.length;
    await p.db.sql(
      `BEGIN;
       UPDATE items SET name = 'renamed' WHERE id = ${ROWS + 1};
       DELETE FROM items WHERE id IN (SELECT id FROM items WHERE category_id = ${CATEGORY} AND id <> ${ROWS + 1} ORDER BY price DESC, id LIMIT 110);
       COMMIT`,
    );
    await settle(client);
    expect(topNStats.refills).toBeGreaterThan(refills + 2);
    const renamed = client.events.slice(from).filter(isChange);
    expect(
      renamed
        .filter((e) => e.event === 'update')
        .map((e) => (JSON.parse(e.data) as { row: { name: string } }).row.name),
    ).toEqual(['renamed']);
    expect(client.events.some((e) => e.event === 'overflow' || e.event === 'error' || e.event === 'reset')).toBe(false);
    expect(topNStats.heldRows).toBeLessThanOrEqual(capacity);
    expect(topNStats.peakWindowRows).toBeLessThanOrEqual(capacity);
    client.close();
  }, 300_000);
});
