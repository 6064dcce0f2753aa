import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchSink, REFS_FIELD, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, rowEvent, sinkConfig } from './helpers';

const client = new Client({ node: esUrl() });
const prefix = uniqueName('refs_needed');
let db: TestDatabase;
const opened: ElasticsearchSink[] = [];

/** A sink of products with `document`, into its own alias. */
async function open(alias: string, document: Record<string, unknown>): Promise<ElasticsearchSink> {
  const sink = createElasticsearchSink(
    sinkConfig({
      name: alias.replace(/_/g, '-'),
      elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 }, retireAfter: 0 },
      from: 'public.products',
      id: '{id}',
      document,
    }),
    { source: new PgSourceRows(db.url) },
  );
  await sink.open();
  opened.push(sink);
  return sink;
}

/** Whether the index behind `alias` maps the refs field, and how many documents carry it. */
async function refsOf(alias: string): Promise<{ mapped: boolean; carried: number }> {
  await client.indices.refresh({ index: alias });
  const mapping = Object.values(await client.indices.getMapping({ index: alias }))[0].mappings;
  const { count } = await client.count({ index: alias, query: { exists: { field: `${REFS_FIELD}.key` } } });
  return { mapped: mapping.properties?.[REFS_FIELD] !== undefined, carried: count };
}

const product = (id: number, code: string): Record<string, unknown> => ({ id, name: `p${id}`, category_code: code });

beforeAll(async () => {
  db = await createTestDatabase('refs_needed');
  await db.sql(`
    CREATE TABLE categories (code text PRIMARY KEY, id int NOT NULL UNIQUE, name text NOT NULL);
    CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, category_code text);
    CREATE TABLE reviews (id int PRIMARY KEY, product_id bigint NOT NULL, stars int NOT NULL);
    INSERT INTO categories VALUES ('a', 1, 'fruit'), ('b', 2, 'veg');
    INSERT INTO products VALUES (1, 'p1', 'a'), (2, 'p2', 'a'), (3, 'p3', 'b');
    INSERT INTO reviews VALUES (10, 1, 5), (11, 1, 3);
  `);
});

afterAll(async () => {
  for (const sink of opened) await sink.close();
  await dropIndices(client, prefix);
  await client.close();
  await db?.drop();
});

const lookup = { category: { from: 'public.categories', on: { code: 'category_code' }, fields: ['name'] } };

/**
 * The hidden refs field costs Elasticsearch CPU on every document: documents carry it only when a
 * relation may need it to find the documents that held a related row (a relation joined on columns
 * outside its table's primary key, e.g. children on their foreign key).
 */
describe('elasticsearch sink: the refs field only where a relation needs it', () => {
  it('a lookup joined on its primary key: no refs; a rename and a root truncate are still exact', async () => {
    const alias = `${prefix}_lookup`;
    const sink = await open(alias, { name: 'name', ...lookup });
    await sink.apply(batchOf([1, 2, 3].map((id) => rowEvent('products', 'c', 100n, product(id, id < 3 ? 'a' : 'b')))));
    expect(await refsOf(alias)).toEqual({ mapped: false, carried: 0 });
    const settings = Object.values(await client.indices.getMapping({ index: alias }))[0].mappings;
    expect(settings._source?.excludes ?? []).not.toContain(REFS_FIELD);

    await db.sql(`UPDATE categories SET name = 'fresh fruit' WHERE code = 'a'`);
    const rename = { pos: { lsn: 200n, seq: 0 }, op: 'u' as const, table: 'public.categories', key: { code: 'a' } };
    await sink.apply(batchOf([{ ...rename, after: { code: 'a', id: 1, name: 'fresh fruit' } }]));
    const docs = await allDocs(client, alias);
    expect([...docs].map(([id, d]) => [id, d.source]).sort()).toEqual([
      ['1', { name: 'p1', category: { name: 'fresh fruit' } }],
      ['2', { name: 'p2', category: { name: 'fresh fruit' } }],
      ['3', { name: 'p3', category: { name: 'veg' } }],
    ]);

    // a root TRUNCATE finds the documents without the root's reference: all go, but the row inserted
    // after it in the same transaction
    await db.sql(`TRUNCATE products; INSERT INTO products VALUES (4, 'p4', 'b')`);
    const truncate = { pos: { lsn: 300n, seq: 0 }, op: 't' as const, table: 'public.products', key: {} };
    await sink.apply(
      batchOf([truncate, { ...rowEvent('products', 'c', 300n, product(4, 'b')), pos: { lsn: 300n, seq: 1 } }]),
    );
    expect([...(await allDocs(client, alias)).keys()]).toEqual(['4']);
    await db.sql(`TRUNCATE products; INSERT INTO products VALUES (1, 'p1', 'a'), (2, 'p2', 'a'), (3, 'p3', 'b')`);
  });

  it('children joined on their foreign key: documents carry the refs, hidden from _source', async () => {
    const alias = `${prefix}_children`;
    const sink = await open(alias, {
      name: 'name',
      reviews: { children: 'public.reviews', on: { product_id: 'id' }, fields: ['stars'], orderBy: 'id' },
    });
    await sink.apply(batchOf([rowEvent('products', 'c', 400n, product(1, 'a'))]));
    expect(await refsOf(alias)).toEqual({ mapped: true, carried: 1 });
    expect((await allDocs(client, alias)).get('1')?.source).toEqual({
      name: 'p1',
      reviews: [{ stars: 5 }, { stars: 3 }],
    });
    // a child deleted without its old row (replica identity default: the key only) is found by the refs
    await db.sql(`DELETE FROM reviews WHERE id = 10`);
    await sink.apply(batchOf([{ pos: { lsn: 500n, seq: 0 }, op: 'd', table: 'public.reviews', key: { id: 10 } }]));
    expect((await allDocs(client, alias)).get('1')?.source).toEqual({ name: 'p1', reviews: [{ stars: 3 }] });
  });

  it('a lookup joined outside its primary key after the index was made without refs: every root is re-read', async () => {
    const alias = `${prefix}_rekeyed`;
    await db.sql(`UPDATE categories SET name = 'fruit' WHERE code = 'a'`);
    const before = await open(alias, { name: 'name', ...lookup });
    await before.apply(
      batchOf([1, 2, 3].map((id) => rowEvent('products', 'c', 600n, product(id, id < 3 ? 'a' : 'b')))),
    );
    await before.close();
    opened.splice(opened.indexOf(before), 1);
    // the lookup's primary key moves off the join column: its updates now carry the new key only
    await db.sql(`ALTER TABLE categories DROP CONSTRAINT categories_pkey, ADD PRIMARY KEY (id)`);
    const sink = await open(alias, { name: 'name', ...lookup });
    expect(await refsOf(alias)).toEqual({ mapped: false, carried: 0 });
    // category 1's code changes from a to z: products 1 and 2 now join nothing
    await db.sql(`UPDATE categories SET code = 'z' WHERE id = 1`);
    const update = { pos: { lsn: 700n, seq: 0 }, op: 'u' as const, table: 'public.categories', key: { id: 1 } };
    await sink.apply(batchOf([{ ...update, after: { code: 'z', id: 1, name: 'fruit' } }]));
    const docs = await allDocs(client, alias);
    expect([...docs].map(([id, d]) => [id, d.source]).sort()).toEqual([
      ['1', { name: 'p1', category: null }],
      ['2', { name: 'p2', category: null }],
      ['3', { name: 'p3', category: { name: 'veg' } }],
    ]);
  });
});
