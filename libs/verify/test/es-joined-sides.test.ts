import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type ElasticsearchSinkConfig } from '@distributary/config';
import { positionToId, type ChangeEvent } from '@distributary/core';
import { createElasticsearchSink, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { compareSides, isClean } from '@distributary/verify';
import { createTestDatabase, esUrl, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { SnapshotSlot, SourceSnapshot } from '../src/oracle/source-snapshot';
import { elasticsearchSides } from '../src/sides/elasticsearch-sides';

/**
 * The Elasticsearch side with joined documents: the expected documents are built by the sink's own
 * builder from rows PostgreSQL rendered, and its joined rows (a lookup and ordered children) are read
 * from the same verification snapshot through the oracle (snapshot-select.ts), not the sink's reader.
 */
const es = new Client({ node: esUrl() });
const alias = uniqueName('vjoined');
let db: TestDatabase;
let sink: ElasticsearchSink;
let config: ElasticsearchSinkConfig;

beforeAll(async () => {
  db = await createTestDatabase('vjoined');
  await db.sql(`
    CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, category_id int REFERENCES categories,
                           created_at timestamptz NOT NULL DEFAULT '2024-05-06 07:08:09.123456+02', price numeric);
    CREATE TABLE reviews (id int PRIMARY KEY, product_id bigint NOT NULL REFERENCES products, stars int, body text);
    INSERT INTO categories VALUES (1, 'fruit'), (2, 'veg');
    INSERT INTO products (id, name, category_id, price) VALUES (10, 'apple', 1, 1.50), (11, 'pear', 1, NULL), (12, 'leek', 2, 123456789012345678901234567890.5);
    INSERT INTO reviews VALUES (100, 10, 5, 'crisp'), (101, 10, 3, 'ok'), (102, 11, 4, 'sweet');
  `);
  config = configSchema.parse({
    source: { postgres: { url: db.url }, tables: ['public.products', 'public.categories', 'public.reviews'] },
    log: { redis: { url: redisUrl() } },
    sinks: [
      {
        name: 'joined',
        elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 } },
        from: 'public.products',
        id: '{id}',
        document: {
          title: 'name',
          created: 'created_at',
          price: 'price',
          category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name'] },
          reviews: {
            children: 'public.reviews',
            on: { product_id: 'id' },
            fields: { id: 'id', stars: 'stars', text: { expr: '$uppercase(body)' } },
            orderBy: 'stars desc',
          },
        },
      },
    ],
  }).sinks[0] as ElasticsearchSinkConfig;
  sink = createElasticsearchSink(config, { source: new PgSourceRows(db.url) });
  await sink.open();
  // The initial snapshot as the connector logs it (rows as PostgreSQL renders them per the contract).
  const snapshot = await SourceSnapshot.open(db.url);
  const events: ChangeEvent[] = [];
  try {
    for await (const { rows } of snapshot.scan('public.products'))
      rows.forEach((row, seq) =>
        events.push({ pos: { lsn: 1000n, seq }, op: 'r', table: 'public.products', key: { id: row.id }, after: row }),
      );
  } finally {
    await snapshot.end();
  }
  const result = await sink.apply({
    sink: config.name,
    partition: 0,
    events,
    lastId: positionToId(events[events.length - 1].pos),
    fencingToken: 1,
  });
  expect(result.rejected).toEqual([]);
});

afterAll(async () => {
  await sink?.close();
  await es.indices.delete({ index: `${alias}*` }).catch(() => undefined);
  await es.close();
  await db?.drop();
});

async function compare() {
  const slot = new SnapshotSlot();
  const sides = elasticsearchSides(config, { snapshot: slot });
  const snapshot = await SourceSnapshot.open(db.url);
  slot.set(snapshot);
  try {
    return await compareSides(sides.expected, sides.actual, { examples: 10 });
  } finally {
    await snapshot.end();
    await sides.close();
  }
}

describe('elasticsearch side with joined documents', () => {
  it('is clean, and reports a joined value changed in the index', async () => {
    const clean = await compare();
    expect(isClean(clean), JSON.stringify(clean)).toBe(true);
    expect(clean.expectedCount).toBe(3);

    const current = await es.get<Record<string, unknown>>({ index: alias, id: '10' });
    const source = current._source as { reviews: { text: string }[] };
    source.reviews[1].text = 'OK?';
    await es.index({ index: alias, id: '10', document: source, refresh: true });
    const report = await compare();
    expect(report.different.map((d) => d.key)).toEqual(['10']);
    expect(report.different[0]).toMatchObject({
      expected: { reviews: [{ text: 'CRISP' }, { text: 'OK' }] },
      actual: { reviews: [{ text: 'CRISP' }, { text: 'OK?' }] },
    });
  });
});
