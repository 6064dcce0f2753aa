import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent, Row } from '@distributary/core';
import type { ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { createTestDatabase, esUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, openProductCategorySink } from './helpers';

const client = new Client({ node: esUrl() });
const alias = uniqueName('joined_trunc');
let db: TestDatabase;
let sink: ElasticsearchSink;

const product = (id: number): Row => ({ id, name: `p${id}`, category_id: 1, created_at: '2024-05-06T07:08:09Z' });
const at = (lsn: bigint, seq: number, op: ChangeEvent['op'], row?: Row): ChangeEvent => ({
  pos: { lsn, seq },
  op,
  table: 'public.products',
  key: row ? { id: row.id } : {},
  ...(row ? { after: row } : {}),
});
const ids = async (): Promise<string[]> => [...(await allDocs(client, alias)).keys()].sort();

beforeAll(async () => {
  db = await createTestDatabase('joined_trunc');
  await db.sql(`
    CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, category_id int,
                           created_at timestamptz NOT NULL);
    INSERT INTO categories VALUES (1, 'fruit');
  `);
  sink = await openProductCategorySink('product-search', alias, db.url);
});

afterAll(async () => {
  await sink?.close();
  await dropIndices(client, alias);
  await client.close();
  await db?.drop();
});

/**
 * TRUNCATE of the root table inside a transaction, with joined documents: every event of the
 * transaction has its commit LSN as version. Rows written before the truncate go, rows written after
 * it stay — in one batch, across partitions, and across batches of one partition.
 */
describe('elasticsearch sink, joined documents: TRUNCATE within a transaction', () => {
  it('BEGIN; INSERT 20; TRUNCATE; INSERT 21; COMMIT leaves only 21', async () => {
    await db.sql(`INSERT INTO products VALUES (10, 'p10', 1, '2024-05-06T07:08:09Z')`);
    await sink.apply(batchOf([at(1_000n, 0, 'c', product(10))]));
    await db.sql(`TRUNCATE products; INSERT INTO products VALUES (21, 'p21', 1, '2024-05-06T07:08:09Z')`);
    const v = 2_000n;
    await sink.apply(batchOf([at(v, 0, 'c', product(20)), at(v, 1, 't'), at(v, 2, 'c', product(21))]));
    expect(await ids()).toEqual(['21']);
  });

  it("a lagging partition's copy of the truncate keeps what another partition wrote after it", async () => {
    await db.sql(`TRUNCATE products; INSERT INTO products VALUES (30, 'p30', 1, '2024-05-06T07:08:09Z')`);
    const v = 3_000n;
    await sink.apply({ ...batchOf([at(v, 0, 't'), at(v, 1, 'c', product(30))]), partition: 1 });
    await sink.apply({ ...batchOf([at(v, 0, 't')]), partition: 0 });
    expect(await ids()).toEqual(['30']);
  });

  it('a truncate removes what its transaction wrote in earlier batches of the partition', async () => {
    await db.sql(`TRUNCATE products`);
    const v = 4_000n;
    const insert = at(v, 0, 'c', product(40));
    await sink.apply(batchOf([insert]));
    await sink.apply({
      ...batchOf([at(v, 1, 't')]),
      async *earlierInTransaction() {
        yield [insert];
      },
    });
    expect(await ids()).toEqual([]);
  });
});
