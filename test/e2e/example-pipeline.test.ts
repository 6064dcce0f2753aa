import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { Client as Elasticsearch } from '@elastic/elasticsearch';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  esUrl,
  freePort,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@distributary/testkit';
import { loadShop } from '../../examples/shop/load';

/**
 * `npm start` smoke test: the example shop pipeline (examples/shop/distributary.yaml, unchanged) run by
 * `distributary run` as a real process on the local stack; its first documents, cache entries and view
 * rows appear, and a write made afterwards reaches all three. Names are moved aside with the example's
 * own environment variables so a developer's running `npm start` is not disturbed.
 */
const ROOT = resolve(__dirname, '../..');
let db: TestDatabase;
let child: ChildProcess | undefined;
let cache: Redis;
let es: Elasticsearch;
const index = uniqueName('shop-products');
const cacheDb = 9;

beforeAll(async () => {
  db = await createTestDatabase('shop');
  await loadShop(db.url);
  cache = new Redis(redisUrl(cacheDb));
  await cache.flushdb();
  es = new Elasticsearch({ node: esUrl() });
  const slot = uniqueName('shop');
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'apps/cli/src/main.ts',
      'run',
      '--config',
      'examples/shop/distributary.yaml',
      '--metrics-port',
      '0',
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PG_URL: db.url,
        VIEW_PG_URL: db.url,
        LOG_REDIS_URL: redisUrl(),
        CACHE_REDIS_URL: redisUrl(cacheDb),
        ES_URL: esUrl(),
        SHOP_SLOT: slot,
        SHOP_NAMESPACE: uniqueName('shop'),
        SHOP_INDEX: index,
        ADMIN_PORT: String(await freePort()),
        GATEWAY_PORT: String(await freePort()),
        DISTRIBUTARY_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
  }
  await cache?.flushdb();
  cache?.disconnect();
  await es?.indices.delete({ index: `${index}*`, ignore_unavailable: true });
  await es?.close();
  await db?.drop();
});

describe('the example pipeline (npm start)', () => {
  it('fills Elasticsearch, the Redis caches and the view from the seed data, then follows new writes', async () => {
    const [{ n: products }] = await db.sql<{ n: string }>(`SELECT count(*)::text AS n FROM products`);
    await waitFor(
      'every product in Elasticsearch',
      async () => {
        await es.indices.refresh({ index });
        return (await es.count({ index })).count === Number(products);
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const [product] = await db.sql<{ id: number; name: string; category: string }>(
      `SELECT p.id, p.name, c.name AS category FROM products p JOIN categories c ON c.id = p.category_id
        WHERE p.status = 'active' ORDER BY p.id LIMIT 1`,
    );
    const doc = await es.get<{ name: string; category: { name: string } }>({ index, id: String(product.id) });
    expect(doc._source).toMatchObject({ name: product.name, category: { name: product.category } });
    const cached = await waitFor('the product cache', () => cache.get(`product:${product.id}`), { timeoutMs: 30_000 });
    expect(JSON.parse(cached)).toMatchObject({ id: product.id, name: product.name });
    const view = await waitFor(
      'the sales view',
      async () => {
        const rows = await db.sql<{ orders: string }>(
          `SELECT sum(orders)::text AS orders FROM analytics.sales_by_category`,
        );
        const [{ n }] = await db.sql<{ n: string }>(`SELECT count(*)::text AS n FROM orders`);
        return rows[0]?.orders === n ? rows : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(view.length).toBe(1);

    await db.sql(`UPDATE products SET name = 'Renamed by the smoke test' WHERE id = $1`, [product.id]);
    await waitFor(
      'the rename in Elasticsearch and in the cache',
      async () => {
        const after = await es.get<{ name: string }>({ index, id: String(product.id), realtime: true });
        const value = await cache.get(`product:${product.id}`);
        return after._source?.name === 'Renamed by the smoke test' && value?.includes('Renamed by the smoke test');
      },
      { timeoutMs: 30_000 },
    );
  });
});
