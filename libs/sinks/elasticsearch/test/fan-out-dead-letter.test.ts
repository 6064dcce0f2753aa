import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LogKeys,
  appendDeadLetter,
  connectRedis,
  listDeadLetters,
  replayDeadLetters,
  type RedisClient,
} from '@distributary/changelog';
import { partitionFor, type ChangeEvent, type Row } from '@distributary/core';
import { createElasticsearchSink, fanOutKeys, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, redisUrl, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, sinkConfig } from './helpers';

/**
 * A root that Elasticsearch refuses during a fan-out pass (here a mapping conflict: a child's jsonb
 * score is a string where every other document had a number) is dead-lettered under its own key with
 * the error; the pass writes every other root and completes; replaying the dead letter after the
 * source is fixed re-reads that root from the source.
 */
const client = new Client({ node: esUrl() });
const redis: RedisClient = connectRedis({ url: redisUrl() });
const alias = uniqueName('fanout_dlq');
const logKeys = new LogKeys(uniqueName('fanout_dlq'));
const SINK = 'fanout-dlq';
const PARTITIONS = 4;
const keys = fanOutKeys(logKeys.namespace, SINK);
const ROOTS = 120;
const BAD = 57;
let db: TestDatabase;
let sink: ElasticsearchSink;

function event(table: string, op: ChangeEvent['op'], lsn: bigint, row: Row, extra = {}): ChangeEvent {
  return { pos: { lsn, seq: 0 }, op, table: `public.${table}`, key: { id: row.id }, after: row, ...extra };
}

beforeAll(async () => {
  db = await createTestDatabase('fanout_dlq');
  await db.sql(`
    CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, category_id int);
    CREATE TABLE reviews (id int PRIMARY KEY, product_id int NOT NULL, score jsonb NOT NULL);
    INSERT INTO categories VALUES (1, 'c1');
    INSERT INTO products SELECT g, 'p' || g, 1 FROM generate_series(1, ${ROOTS}) g;
    INSERT INTO reviews SELECT g, g, to_jsonb(g % 5) FROM generate_series(1, ${ROOTS}) g WHERE g <> ${BAD};
  `);
  sink = createElasticsearchSink(
    sinkConfig({
      name: SINK,
      elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 }, retireAfter: 0 },
      from: 'public.products',
      id: '{id}',
      document: {
        name: 'name',
        category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name'] },
        reviews: { children: 'public.reviews', on: { product_id: 'id' }, fields: ['score'] },
      },
    }),
    {
      source: new PgSourceRows(db.url),
      fanOut: {
        redis,
        namespace: logKeys.namespace,
        owner: 'dlq-test',
        pageSize: 25,
        pollMs: 20,
        // as the worker does (libs/worker/src/create-sink.ts)
        deadLetter: async (event, error) => {
          const partition = partitionFor(event.table, event.key, PARTITIONS);
          await appendDeadLetter(redis, logKeys, SINK, partition, event, error);
        },
      },
    },
  );
  await sink.open();
  const rows = await db.sql<Row>('SELECT * FROM products ORDER BY id');
  const snapshot = await sink.apply(
    batchOf(rows.map((r) => event('products', 'r', 1000n, r, { snapshot: 'initial' }))),
  );
  expect(snapshot.rejected).toEqual([]); // score mapped as a number by the first document
});

afterAll(async () => {
  await sink?.close().catch(() => undefined);
  await redis.del(
    keys.dirty,
    keys.causes,
    keys.passes,
    keys.lock,
    keys.state,
    keys.chunks,
    keys.claims,
    logKeys.deadLetters(SINK),
  );
  redis.disconnect();
  await dropIndices(client, alias);
  await client.close();
  await db?.drop();
}, 60_000);

describe('elasticsearch sink: a root refused during a fan-out pass', () => {
  it('is dead-lettered with its key and error; the pass writes the others and completes', async () => {
    // the review of product BAD was inserted in another partition, not applied yet; the category
    // rename's pass re-reads product BAD with it and Elasticsearch refuses the string score
    await db.sql(`INSERT INTO reviews VALUES (${BAD}, ${BAD}, '"not a number"');
                  UPDATE categories SET name = 'renamed' WHERE id = 1`);
    const result = await sink.apply(batchOf([event('categories', 'u', 2000n, { id: 1, name: 'renamed' })]));
    expect(result).toMatchObject({ applied: 0, rejected: [] }); // deferred to the pass
    await waitFor('the pass to finish', async () => (await redis.zcard(keys.dirty)) === 0, { timeoutMs: 60_000 });
    const docs = await allDocs(client, alias);
    for (let id = 1; id <= ROOTS; id++) {
      if (id === BAD) continue;
      expect(docs.get(String(id))).toMatchObject({ version: 2000, source: { category: { name: 'renamed' } } });
    }
    expect(docs.get(String(BAD))).toMatchObject({ version: 1000, source: { category: { name: 'c1' } } });
    const letters = (await listDeadLetters(redis, logKeys, SINK, { limit: 10 })).items;
    expect(letters).toHaveLength(1);
    expect(letters[0].event).toMatchObject({ table: 'public.products', op: 'u', key: { id: BAD } });
    expect(letters[0].event.pos.lsn).toBe(2000n);
    expect(letters[0].partition).toBe(partitionFor('public.products', { id: BAD }, PARTITIONS));
    expect(letters[0].error).toMatch(/reviews\.score/);
    // the partition goes on: a later change of another root applies
    await db.sql(`UPDATE products SET name = 'later' WHERE id = 1`);
    const later = await sink.apply(batchOf([event('products', 'u', 2100n, { id: 1, name: 'later', category_id: 1 })]));
    expect(later).toMatchObject({ applied: 1, rejected: [] });
  });

  it('replayed after the source is fixed, the dead letter re-reads that root from the source', async () => {
    await db.sql(`UPDATE reviews SET score = '4' WHERE id = ${BAD}`);
    const replay = await replayDeadLetters(redis, logKeys, sink);
    expect(replay).toMatchObject({ replayed: 1, failed: 0 });
    expect((await listDeadLetters(redis, logKeys, SINK, { limit: 10 })).items).toEqual([]);
    const doc = (await allDocs(client, alias)).get(String(BAD));
    expect(doc).toMatchObject({
      version: 2000,
      source: { name: `p${BAD}`, category: { name: 'renamed' }, reviews: [{ score: 4 }] },
    });
  });
});
