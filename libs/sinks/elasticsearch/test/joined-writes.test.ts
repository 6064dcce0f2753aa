import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { createTestDatabase, esUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, openProductCategorySink, rowEvent } from './helpers';

/** Writes per document: once at bootstrap, lookup reads shared between partitions yet exact. */
const client = new Client({ node: esUrl() });
const alias = uniqueName('h24_writes');
let db: TestDatabase;
let sink: ElasticsearchSink;

beforeAll(async () => {
  db = await createTestDatabase('h24_writes');
  await db.sql(`
    CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, category_id int REFERENCES categories);
    INSERT INTO categories VALUES (1, 'fruit'), (2, 'veg');
    INSERT INTO products VALUES (10, 'apple', 1), (11, 'pear', 1), (12, 'leek', 2);
  `);
  sink = await openProductCategorySink('writes', alias, db.url);
});

afterAll(async () => {
  await sink?.close();
  await dropIndices(client, alias);
  await client.close();
  await db?.drop();
});

describe('elasticsearch sink: writes per document', () => {
  it('writes each document once from the initial snapshot: lookup rows there do not fan out', async () => {
    const snapshot = { snapshot: 'initial' };
    const categories = await sink.apply(
      batchOf([
        rowEvent('categories', 'r', 1000n, { id: 1, name: 'fruit' }, snapshot),
        rowEvent('categories', 'r', 1000n, { id: 2, name: 'veg' }, snapshot),
      ]),
    );
    expect(categories.applied + categories.skippedAsStale).toBe(0);
    const products = await sink.apply(
      batchOf([
        rowEvent('products', 'r', 1000n, { id: 10, name: 'apple', category_id: 1 }, snapshot),
        rowEvent('categories', 'r', 1000n, { id: 1, name: 'fruit' }, snapshot),
        rowEvent('products', 'r', 1000n, { id: 11, name: 'pear', category_id: 1 }, snapshot),
        rowEvent('products', 'r', 1000n, { id: 12, name: 'leek', category_id: 2 }, snapshot),
      ]),
    );
    expect(products).toMatchObject({ applied: 3, skippedAsStale: 0 });
    const docs = await allDocs(client, alias);
    expect(docs.get('12')).toMatchObject({ version: 1000, source: { category: { name: 'veg' } } });
  });

  it('a root touched by its own change and a lookup change in one batch is written once', async () => {
    await db.sql(
      `UPDATE categories SET name = 'fruits' WHERE id = 1; UPDATE products SET name = 'apple!' WHERE id = 10`,
    );
    const result = await sink.apply(
      batchOf([
        rowEvent('products', 'u', 2000n, { id: 10, name: 'apple!', category_id: 1 }),
        rowEvent('categories', 'u', 2010n, { id: 1, name: 'fruits' }),
      ]),
    );
    expect(result).toMatchObject({ applied: 2, skippedAsStale: 0 }); // products 10 and 11, once each
    const docs = await allDocs(client, alias);
    expect(docs.get('10')).toMatchObject({ version: 2010, source: { name: 'apple!', category: { name: 'fruits' } } });
  });

  it('shares lookup reads between partitions only up to the floor they were read at, and converges', async () => {
    // partition 0 reads category 2 with every event up to 3000 committed
    await sink.apply({
      ...batchOf([rowEvent('products', 'u', 3000n, { id: 12, name: 'leek', category_id: 2 })]),
      partition: 0,
    });
    await db.sql(
      `UPDATE categories SET name = 'greens' WHERE id = 2; UPDATE products SET name = 'leeks' WHERE id = 12`,
    );
    // partition 1, a version at or below that floor: the shared read is used (exact as of 3000)
    const older = await sink.apply({
      ...batchOf([rowEvent('products', 'u', 2500n, { id: 12, name: 'leeks', category_id: 2 })]),
      partition: 1,
    });
    expect(older).toMatchObject({ applied: 0, skippedAsStale: 1 }); // 3000 is already there
    // a version above the floor must read again: it sees the renamed category
    await sink.apply({
      ...batchOf([rowEvent('products', 'u', 3500n, { id: 12, name: 'leeks', category_id: 2 })]),
      partition: 1,
    });
    expect((await allDocs(client, alias)).get('12')).toMatchObject({
      version: 3500,
      source: { name: 'leeks', category: { name: 'greens' } },
    });
    // and the rename's own event (a higher LSN) re-indexes every root of the category
    await sink.apply(batchOf([rowEvent('categories', 'u', 4000n, { id: 2, name: 'greens' })]));
    expect((await allDocs(client, alias)).get('12')).toMatchObject({
      version: 4000,
      source: { category: { name: 'greens' } },
    });
  });

  it('builds a root from its own complete row (no re-read), re-reads an incomplete one, and converges', async () => {
    // the source is already ahead of the batch: the event's row is the row as of its version
    await db.sql(`INSERT INTO products VALUES (40, 'plum v2', 1), (41, 'kiwi v2', 1)`);
    const own = await sink.apply(
      batchOf([
        rowEvent('products', 'c', 6000n, { id: 40, name: 'plum v1', category_id: 1 }),
        rowEvent('products', 'c', 6001n, { id: 41, name: 'kiwi v1' }), // category_id missing: re-read
      ]),
    );
    expect(own).toMatchObject({ applied: 2, skippedAsStale: 0, rejected: [] });
    let docs = await allDocs(client, alias);
    expect(docs.get('40')).toMatchObject({ version: 6000, source: { name: 'plum v1', category: { name: 'fruits' } } });
    expect(docs.get('41')).toMatchObject({ version: 6001, source: { name: 'kiwi v2', category: { name: 'fruits' } } });
    // the later change is a later event: it writes the later row, and replaying the first batch is stale
    await sink.apply(batchOf([rowEvent('products', 'u', 6002n, { id: 40, name: 'plum v2', category_id: 1 })]));
    const replay = await sink.apply(
      batchOf([rowEvent('products', 'c', 6000n, { id: 40, name: 'plum v1', category_id: 1 })]),
    );
    expect(replay).toMatchObject({ applied: 0, skippedAsStale: 1 });
    docs = await allDocs(client, alias);
    expect(docs.get('40')).toMatchObject({ version: 6002, source: { name: 'plum v2', category: { name: 'fruits' } } });
  });

  it('re-indexes a lookup fan-out larger than a page, in pages, each document once', async () => {
    await db.sql(`INSERT INTO categories VALUES (3, 'bulk');
                  INSERT INTO products SELECT g, 'p' || g, 3 FROM generate_series(1000, 3499) g`);
    await db.sql(`UPDATE categories SET name = 'bulky' WHERE id = 3`);
    const result = await sink.apply(
      batchOf([
        rowEvent('products', 'u', 5000n, { id: 1000, name: 'p1000', category_id: 3 }),
        rowEvent('categories', 'u', 5010n, { id: 3, name: 'bulky' }),
      ]),
    );
    expect(result).toMatchObject({ applied: 2500, skippedAsStale: 0, rejected: [] });
    const docs = await allDocs(client, alias);
    const bulky = [...docs.values()].filter((d) => (d.source.category as { name: string }).name === 'bulky');
    expect(bulky).toHaveLength(2500);
    expect(bulky.every((d) => d.version === 5010)).toBe(true);
  });
});
