import { Writable } from 'node:stream';
import { Client } from '@elastic/elasticsearch';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { createElasticsearchSink, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, EventFactory, sinkConfig } from './helpers';

/**
 * Regression: the source reader's pool used to deadlock when more partitions applied joined batches at
 * once than it had connections (each batch held one in a REPEATABLE READ transaction while resolving
 * column types needed another). With a pool of ONE connection and 8 partitions applying at once,
 * every batch must apply on its first try, and nothing may be logged as a retry or warning.
 */
const PARTITIONS = 8;
const PER_PARTITION = 50;
const client = new Client({ node: esUrl() });
const alias = uniqueName('h24_pool');
const warnings: string[] = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      warnings.push(chunk.toString());
      done();
    },
  }),
);
let db: TestDatabase;
let sink: ElasticsearchSink;

beforeAll(async () => {
  db = await createTestDatabase('h24_pool');
  await db.sql(`
    CREATE DOMAIN price AS numeric(10, 2);
    CREATE TYPE colour AS ENUM ('red', 'green');
    CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL, tags text[] NOT NULL DEFAULT '{a,b}');
    CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, category_id int REFERENCES categories,
                           price price NOT NULL, colour colour NOT NULL, seen timestamptz[] NOT NULL);
    INSERT INTO categories (id, name) SELECT c, 'cat ' || c FROM generate_series(1, 20) c;
    INSERT INTO products SELECT p, 'product ' || p, 1 + p % 20, p * 1.5, 'red',
                                ARRAY['2024-05-06 07:08:09.123456+00'::timestamptz]
      FROM generate_series(1, ${PARTITIONS * PER_PARTITION}) p;
  `);
  sink = createElasticsearchSink(
    sinkConfig({
      name: 'pool',
      elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 }, retireAfter: 0 },
      from: 'public.products',
      id: '{id}',
      document: {
        name: 'name',
        price: 'price',
        colour: 'colour',
        seen: 'seen',
        category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name', 'tags'] },
      },
    }),
    { source: new PgSourceRows(db.url, { poolSize: 1, logger }), logger },
  );
  await sink.open();
});

afterAll(async () => {
  await sink?.close();
  await dropIndices(client, alias);
  await client.close();
  await db?.drop();
});

describe('elasticsearch sink: source pool', () => {
  it('applies joined batches of 8 partitions at once through a pool of one connection, without a retry', async () => {
    const rows = await db.sql<{ id: string; name: string; category_id: number }>(
      'SELECT id::text, name, category_id FROM products ORDER BY id',
    );
    const batches: ChangeEvent[][] = Array.from({ length: PARTITIONS }, () => []);
    const factory = new EventFactory('public.products');
    rows.forEach((row, i) => batches[i % PARTITIONS].push(factory.next('r', { id: row.id }, { after: row })));
    // a category change in every partition too: the fan-out reads run in the same transactions
    batches.forEach((batch, p) =>
      batch.push(factory.next('u', { id: p + 1 }, { table: 'public.categories', after: { id: p + 1, name: 'x' } })),
    );
    const results = await Promise.all(batches.map((events, p) => sink.apply({ ...batchOf(events), partition: p })));
    for (const result of results) expect(result.rejected).toEqual([]);
    expect(results.reduce((n, r) => n + r.applied + r.skippedAsStale, 0)).toBeGreaterThanOrEqual(rows.length);
    const docs = await allDocs(client, alias);
    expect(docs.size).toBe(rows.length);
    expect(docs.get('7')?.source).toMatchObject({
      name: 'product 7',
      price: '10.50',
      colour: 'red',
      category: { name: 'cat 8', tags: ['a', 'b'] },
    });
    expect(docs.get('7')?.source.seen).toHaveLength(1); // an array of a non-text type was read and converted
    expect(warnings).toEqual([]);
  });

  it('reloads a table whose columns changed (added, retyped) and applies the batch', async () => {
    await db.sql(`ALTER TABLE categories ADD COLUMN note text DEFAULT 'n';
                  ALTER TABLE categories ALTER COLUMN tags TYPE varchar(20)[];
                  UPDATE categories SET name = 'renamed' WHERE id = 3`);
    const factory = new EventFactory('public.products');
    const event = factory.next('u', { id: 3 }, { table: 'public.categories', lsn: 1n << 40n, after: { id: 3 } });
    const result = await sink.apply(batchOf([event]));
    expect(result.rejected).toEqual([]);
    expect(result.applied).toBe((PER_PARTITION * PARTITIONS) / 20);
    expect((await allDocs(client, alias)).get('2')?.source).toMatchObject({
      category: { name: 'renamed', tags: ['a', 'b'] },
    });
    expect(warnings).toEqual([]);
  });
});
