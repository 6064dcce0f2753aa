import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { createElasticsearchSink, versionOf, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, EventFactory, sinkConfig } from './helpers';

const client = new Client({ node: esUrl() });
const alias = uniqueName('h4_joined');
let db: TestDatabase;
let sink: ElasticsearchSink;
const f = new EventFactory('public.products');
const applied: ChangeEvent[][] = [];

async function apply(events: ChangeEvent[]): Promise<void> {
  const result = await sink.apply(batchOf(events));
  expect(result.rejected).toEqual([]);
  applied.push(events);
}

async function doc(id: string): Promise<Record<string, unknown> | undefined> {
  return (await allDocs(client, alias)).get(id)?.source;
}

beforeAll(async () => {
  db = await createTestDatabase('h4_joined');
  await db.sql(`
    CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, category_id int REFERENCES categories,
                           created_at timestamptz NOT NULL DEFAULT '2024-05-06 07:08:09.123456+00');
    CREATE TABLE reviews (id int PRIMARY KEY, product_id bigint NOT NULL REFERENCES products, stars int, body text);
    INSERT INTO categories VALUES (1, 'fruit'), (2, 'veg');
    INSERT INTO products (id, name, category_id) VALUES (10, 'apple', 1), (11, 'pear', 1), (12, 'leek', 2);
    INSERT INTO reviews VALUES (100, 10, 5, 'crisp'), (101, 10, 3, 'ok'), (102, 11, 4, 'sweet');
  `);
  sink = createElasticsearchSink(config({}), { source: new PgSourceRows(db.url) });
  await sink.open();
  // the initial snapshot, as the connector would log it
  const products = await db.sql<Record<string, never>>('SELECT id, name, category_id FROM products ORDER BY id');
  await apply(products.map((p) => f.next('r', { id: p.id }, { after: p })));
});

function config(extraFields: Record<string, unknown>): ReturnType<typeof sinkConfig> {
  return sinkConfig({
    name: 'product-search',
    elasticsearch: {
      url: esUrl(),
      index: alias,
      settings: { number_of_replicas: 0 },
      retireAfter: 0,
      discoverEvery: 100,
    },
    from: 'public.products',
    id: '{id}',
    document: {
      ...extraFields,
      title: 'name',
      created: 'created_at',
      category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name'] },
      reviews: {
        children: 'public.reviews',
        on: { product_id: 'id' },
        fields: { id: 'id', stars: 'stars', text: { expr: '$uppercase(body)' } },
        orderBy: 'stars desc',
      },
    },
  });
}

afterAll(async () => {
  await sink?.close();
  await dropIndices(client, alias);
  await client.close();
  await db?.drop();
});

describe('elasticsearch sink: joined documents', () => {
  it('lists the root and every joined table', () => {
    expect([...sink.tables].sort()).toEqual(['public.categories', 'public.products', 'public.reviews']);
  });

  it('builds documents with a lookup object and an ordered child array, full-fidelity values', async () => {
    expect(await doc('10')).toEqual({
      title: 'apple',
      created: '2024-05-06T07:08:09.123456Z',
      category: { name: 'fruit' },
      reviews: [
        { id: 100, stars: 5, text: 'CRISP' },
        { id: 101, stars: 3, text: 'OK' },
      ],
    });
    expect((await doc('12'))?.reviews).toEqual([]);
  });

  it('a lookup change rebuilds every root that references it, and only those', async () => {
    const versionOf12 = (await allDocs(client, alias)).get('12')?.version;
    await db.sql(`UPDATE categories SET name = 'Fruit!' WHERE id = 1`);
    const event = f.next('u', { id: 1 }, { table: 'public.categories', after: { id: 1, name: 'Fruit!' } });
    await apply([event]);
    const docs = await allDocs(client, alias);
    expect(docs.get('10')?.source.category).toEqual({ name: 'Fruit!' });
    expect(docs.get('11')?.source.category).toEqual({ name: 'Fruit!' });
    expect(docs.get('10')?.version).toBe(versionOf(event.pos.lsn));
    expect(docs.get('12')?.version).toBe(versionOf12);
  });

  it('a child insert and update reach their parent', async () => {
    await db.sql(`INSERT INTO reviews VALUES (103, 12, 2, 'woody')`);
    await db.sql(`UPDATE reviews SET stars = 1 WHERE id = 102`);
    await apply([
      f.next(
        'c',
        { id: 103 },
        { table: 'public.reviews', after: { id: 103, product_id: '12', stars: 2, body: 'woody' } },
      ),
      f.next(
        'u',
        { id: 102 },
        { table: 'public.reviews', after: { id: 102, product_id: '11', stars: 1, body: 'sweet' } },
      ),
    ]);
    expect((await doc('12'))?.reviews).toEqual([{ id: 103, stars: 2, text: 'WOODY' }]);
    expect((await doc('11'))?.reviews).toEqual([{ id: 102, stars: 1, text: 'SWEET' }]);
  });

  it('re-parenting without `before` rebuilds both the old and the new parent', async () => {
    await db.sql(`UPDATE reviews SET product_id = 11 WHERE id = 101`);
    await apply([
      f.next('u', { id: 101 }, { table: 'public.reviews', after: { id: 101, product_id: '11', stars: 3, body: 'ok' } }),
    ]);
    expect((await doc('10'))?.reviews).toEqual([{ id: 100, stars: 5, text: 'CRISP' }]);
    expect((await doc('11'))?.reviews).toEqual([
      { id: 101, stars: 3, text: 'OK' },
      { id: 102, stars: 1, text: 'SWEET' },
    ]);
  });

  it('re-parenting with `before` uses the old foreign key directly', async () => {
    await db.sql(`UPDATE reviews SET product_id = 12 WHERE id = 102`);
    await apply([
      f.next(
        'u',
        { id: 102 },
        {
          table: 'public.reviews',
          before: { id: 102, product_id: '11', stars: 1, body: 'sweet' },
          after: { id: 102, product_id: '12', stars: 1, body: 'sweet' },
        },
      ),
    ]);
    expect((await doc('11'))?.reviews).toEqual([{ id: 101, stars: 3, text: 'OK' }]);
    expect(((await doc('12'))?.reviews as unknown[]).length).toBe(2);
  });

  it('a child delete that carries only the child key reaches its parent', async () => {
    await db.sql(`DELETE FROM reviews WHERE id = 100`);
    const event = f.next('d', { id: 100 }, { table: 'public.reviews' });
    await apply([event]);
    const docs = await allDocs(client, alias);
    expect(docs.get('10')?.source.reviews).toEqual([]);
    expect(docs.get('10')?.version).toBe(versionOf(event.pos.lsn));
  });

  it('a root delete, and a root re-read that finds no row, delete the document', async () => {
    await db.sql(`DELETE FROM reviews WHERE product_id = 12; DELETE FROM products WHERE id = 12`);
    await apply([
      f.next('d', { id: 102 }, { table: 'public.reviews' }),
      f.next('d', { id: 103 }, { table: 'public.reviews' }),
      f.next('d', { id: '12' }),
    ]);
    expect([...(await allDocs(client, alias)).keys()].sort()).toEqual(['10', '11']);
    // a late child event for the deleted parent re-reads it, finds nothing, and cannot resurrect it
    await apply([f.next('u', { id: 103 }, { table: 'public.reviews', after: { id: 103, product_id: '12' } })]);
    expect([...(await allDocs(client, alias)).keys()].sort()).toEqual(['10', '11']);
  });

  it('a root key change moves the document', async () => {
    await db.sql(`INSERT INTO products (id, name, category_id) VALUES (20, 'fig', 1)`);
    await apply([f.next('c', { id: '20' }, { after: { id: '20', name: 'fig', category_id: 1 } })]);
    await db.sql(`UPDATE products SET id = 21 WHERE id = 20`);
    await apply([
      f.next('u', { id: '21' }, { before: { id: '20' }, after: { id: '21', name: 'fig', category_id: 1 } }),
    ]);
    const docs = await allDocs(client, alias);
    expect([...docs.keys()].sort()).toEqual(['10', '11', '21']);
    expect(docs.get('21')?.source.category).toEqual({ name: 'Fruit!' });
  });

  it('replaying the whole log changes nothing', async () => {
    const before = await allDocs(client, alias);
    for (const events of [...applied]) await sink.apply(batchOf(events));
    expect(await allDocs(client, alias)).toEqual(before);
  });

  it('rebuilds joined documents into a new index from the log when the document shape changes', async () => {
    const before = await allDocs(client, alias);
    const changed = createElasticsearchSink(config({ category_id: 'category_id' }), {
      source: new PgSourceRows(db.url),
    });
    try {
      await changed.open();
      expect(await changed.needsRebuild()).toBe(true);
      const result = await changed.rebuild(
        (async function* () {
          for (const events of applied) yield events;
        })(),
      );
      expect(result.rejected).toEqual([]);
      const after = await allDocs(client, alias);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      for (const [id, doc] of after) {
        expect(doc.source).toEqual({ category_id: 1, ...before.get(id)?.source });
      }
    } finally {
      await changed.close();
    }
  });
});
