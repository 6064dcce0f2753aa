import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import type { ChangeEvent, Row } from '@distributary/core';
import {
  createElasticsearchSink,
  fanOutKeys,
  readFanOutStatus,
  type ElasticsearchSink,
  type FanOutStatus,
} from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, redisUrl, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import { esMetrics } from '../src/metrics';
import { batchOf, dropIndices, sinkConfig } from './helpers';

/**
 * Fan-outs of any size stay bounded: a TRUNCATE of a lookup (every root), a root TRUNCATE (every
 * document) and children re-parented without their old image (REPLICA IDENTITY DEFAULT: found through
 * the index) are read and written a page at a time — in the durable pass (`durable`) and in the batch
 * (`inBatch`, no queue: the CLI's replay, rebuilds) — and the result is exact.
 */
const client = new Client({ node: esUrl() });
const redis: RedisClient = connectRedis({ url: redisUrl() });
const prefix = uniqueName('fanout_bounded');
const namespace = uniqueName('fanout_bounded');
const ROOTS = 20_000;
const CHILDREN = 3_000;
const PAGE = 500;
let db: TestDatabase;
let durable: ElasticsearchSink;
let inBatch: ElasticsearchSink;
const keys = fanOutKeys(namespace, 'bounded-durable');

function config(name: string) {
  return sinkConfig({
    name,
    elasticsearch: {
      url: esUrl(),
      index: `${prefix}_${name}`,
      settings: { number_of_replicas: 0 },
      retireAfter: 0,
      bulk: { maxDocs: 50_000, maxBytes: 100 * 1024 * 1024 },
    },
    from: 'public.products',
    id: '{id}',
    document: {
      name: 'name',
      category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name'] },
      reviews: { children: 'public.reviews', on: { product_id: 'id' }, fields: ['stars'], orderBy: 'id' },
    },
  });
}

function event(table: string, op: ChangeEvent['op'], lsn: bigint, seq: number, row?: Row): ChangeEvent {
  return {
    pos: { lsn, seq },
    op,
    table: `public.${table}`,
    key: row ? { id: row.id } : {},
    ...(row ? { after: row } : {}),
    ...(op === 'r' ? { snapshot: 'initial' as const } : {}),
  };
}

/** Bulk requests sent for a sink so far (one per written page when pages are smaller than maxDocs). */
async function bulkRequests(sink: string): Promise<number> {
  const values = (await esMetrics.bulkSeconds.get()).values;
  const count = values.find((v) => v.metricName?.endsWith('_count') && v.labels.sink === sink);
  return count?.value ?? 0;
}

interface Stored {
  version: number | undefined;
  source: { name: string; category: { name: string } | null; reviews: { stars: number }[] };
}

/** Every document of a sink's alias (more than one search's worth: scrolled). */
async function everyDoc(sink: string): Promise<Map<string, Stored>> {
  const index = `${prefix}_${sink}`;
  await client.indices.refresh({ index });
  const docs = new Map<string, Stored>();
  let response = await client.search({ index, scroll: '1m', size: 5000, version: true });
  while (response.hits.hits.length > 0) {
    for (const hit of response.hits.hits) {
      docs.set(hit._id ?? '', { version: hit._version, source: hit._source as Stored['source'] });
    }
    response = await client.scroll({ scroll_id: response._scroll_id ?? '', scroll: '1m' });
  }
  await client.clearScroll({ scroll_id: response._scroll_id ?? '' }).catch(() => undefined);
  return docs;
}

async function applyBoth(events: ChangeEvent[]): Promise<{ durable: number; inBatch: number }> {
  const [a, b] = await Promise.all([durable.apply(batchOf(events)), inBatch.apply(batchOf(events))]);
  expect(a.rejected).toEqual([]);
  expect(b.rejected).toEqual([]);
  return { durable: a.applied, inBatch: b.applied };
}

beforeAll(async () => {
  db = await createTestDatabase('fanout_bounded');
  await db.sql(`
    CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, category_id int);
    CREATE TABLE reviews (id int PRIMARY KEY, product_id int NOT NULL, stars int NOT NULL);
    INSERT INTO categories VALUES (1, 'c1'), (2, 'c2');
    INSERT INTO products SELECT g, 'p' || g, 1 + g % 2 FROM generate_series(1, ${ROOTS}) g;
    INSERT INTO reviews SELECT g, g, 1 + g % 5 FROM generate_series(1, ${CHILDREN}) g;
  `);
  durable = createElasticsearchSink(config('bounded-durable'), {
    source: new PgSourceRows(db.url),
    fanOut: { redis, namespace, owner: 'bounded', pageSize: PAGE, pollMs: 20, deadLetter: async () => undefined },
  });
  inBatch = createElasticsearchSink(config('bounded-in-batch'), { source: new PgSourceRows(db.url), pageSize: PAGE });
  await durable.open();
  await inBatch.open();
  const rows = await db.sql<Row>('SELECT * FROM products ORDER BY id');
  for (let i = 0; i < rows.length; i += 2000) {
    await applyBoth(rows.slice(i, i + 2000).map((row, j) => event('products', 'r', 1000n, i + j, row)));
  }
}, 240_000);

afterAll(async () => {
  await durable?.close().catch(() => undefined);
  await inBatch?.close().catch(() => undefined);
  await redis.del(keys.dirty, keys.causes, keys.passes, keys.lock, keys.state, keys.chunks, keys.claims);
  redis.disconnect();
  await dropIndices(client, prefix);
  await client.close();
  await db?.drop();
}, 60_000);

describe('elasticsearch sink: fan-out memory bounded whatever its size', () => {
  it('a TRUNCATE of a lookup of 20,000 roots: one durable pass, or pages in the batch; every root exact', async () => {
    await db.sql('TRUNCATE categories');
    const requests = await bulkRequests('bounded-in-batch');
    // what `distributary status` and the admin API show, sampled while the pass runs
    const samples: FanOutStatus[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await readFanOutStatus(redis, namespace, 'bounded-durable'));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const applied = await applyBoth([event('categories', 't', 5000n, 0)]);
    expect(applied.durable).toBe(0); // marked for the pass, nothing re-indexed in the batch
    expect(applied.inBatch).toBe(ROOTS);
    // every one of 40 pages was its own bulk request, written before the next page was read
    expect((await bulkRequests('bounded-in-batch')) - requests).toBeGreaterThanOrEqual(ROOTS / PAGE);
    await waitFor('the durable pass to finish', async () => (await redis.zcard(keys.dirty)) === 0, {
      timeoutMs: 180_000,
    });
    sampling = false;
    await sampler;
    expect(samples.some((s) => s.pending === 1 && s.runningSince !== undefined && s.running === '[[],[]]')).toBe(true);
    const roots = samples.map((s) => s.rootsReindexed);
    expect(roots.some((n) => n > 0 && n < ROOTS)).toBe(true); // counted page by page
    await waitFor('the drainer to go idle', async () => {
      const status = await readFanOutStatus(redis, namespace, 'bounded-durable');
      return status.runningSince === undefined;
    });
    expect(await readFanOutStatus(redis, namespace, 'bounded-durable')).toEqual({ pending: 0, rootsReindexed: ROOTS });
    for (const sink of ['bounded-durable', 'bounded-in-batch']) {
      const docs = await everyDoc(sink);
      expect(docs.size).toBe(ROOTS);
      for (const [id, doc] of docs) {
        expect({ id, version: doc.version, category: doc.source.category }).toEqual({
          id,
          version: 5000,
          category: null,
        });
      }
    }
  }, 240_000);

  it(`${CHILDREN} children re-parented without their old image: the old parents found a page at a time`, async () => {
    await db.sql(`UPDATE reviews SET product_id = ${ROOTS} WHERE id <= ${CHILDREN}`);
    const moved = await db.sql<Row>('SELECT * FROM reviews ORDER BY id');
    const requests = await bulkRequests('bounded-in-batch');
    // REPLICA IDENTITY DEFAULT: an update carries the key and the new row, no `before`
    const applied = await applyBoth(moved.map((row, i) => event('reviews', 'u', 6000n, i, row)));
    expect(applied).toEqual({ durable: CHILDREN + 1, inBatch: CHILDREN + 1 });
    expect((await bulkRequests('bounded-in-batch')) - requests).toBeGreaterThanOrEqual(CHILDREN / PAGE);
    for (const sink of ['bounded-durable', 'bounded-in-batch']) {
      const docs = await everyDoc(sink);
      for (let id = 1; id <= CHILDREN; id++) {
        expect(docs.get(String(id))).toMatchObject({ version: 6000, source: { reviews: [] } });
      }
      const parent = docs.get(String(ROOTS));
      expect(parent?.version).toBe(6000);
      expect(parent?.source.reviews).toEqual(moved.map((r) => ({ stars: r.stars })));
      expect(docs.get(String(CHILDREN + 1))?.version).toBe(5000); // not touched
    }
  }, 240_000);

  it('a root TRUNCATE deletes every document a page at a time; a root inserted after it stays', async () => {
    await db.sql(`TRUNCATE products; INSERT INTO products VALUES (7, 'back', NULL)`);
    const requests = await bulkRequests('bounded-in-batch');
    await applyBoth([event('products', 't', 7000n, 0), event('products', 'c', 7001n, 0, { id: 7, name: 'back' })]);
    expect((await bulkRequests('bounded-in-batch')) - requests).toBeGreaterThanOrEqual(ROOTS / PAGE);
    for (const sink of ['bounded-durable', 'bounded-in-batch']) {
      const docs = await everyDoc(sink);
      expect([...docs.keys()]).toEqual(['7']);
      expect(docs.get('7')).toMatchObject({ version: 7001, source: { name: 'back', category: null, reviews: [] } });
    }
  }, 240_000);
});
