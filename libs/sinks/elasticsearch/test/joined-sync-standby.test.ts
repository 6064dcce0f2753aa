import { join } from 'node:path';
import { Client as EsClient } from '@elastic/elasticsearch';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchSink, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { esUrl, uniqueName, waitFor } from '@distributary/testkit';
import { ThrowawayPostgres } from '../../../../test/chaos/throwaway-postgres';
import { allDocs, batchOf, dropIndices, EventFactory, sinkConfig } from './helpers';

/**
 * A lookup change that is in the log but not yet visible to new snapshots: its commit waits for a
 * synchronous standby that never answers (synchronous_standby_names = 'ghost_standby'), and logical
 * decoding has already sent it. The sink applies the rename, then a product event after it. Reading
 * at plain new snapshots, both batches rebuild the product with the OLD category name — the second at
 * a version above the rename, so nothing ever corrects it. The sink's snapshots must wait until the
 * rename is visible. A throwaway cluster: the setting would stall every commit on the shared server.
 */
const es = new EsClient({ node: esUrl() });
const alias = uniqueName('syncstandby_joined');
const f = new EventFactory('public.products');
let pg: ThrowawayPostgres;
let sink: ElasticsearchSink;
const clients: Client[] = [];

async function connect(): Promise<Client> {
  const client = new Client({ connectionString: pg.url() });
  await client.connect();
  clients.push(client);
  return client;
}

beforeAll(async () => {
  pg = await ThrowawayPostgres.create(join(__dirname, '../../../../.local/visible-snapshot', alias));
  const admin = await connect();
  await admin.query(`
    CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, category_id int REFERENCES categories);
    INSERT INTO categories VALUES (1, 'fruit');
    INSERT INTO products VALUES (10, 'apple', 1);
  `);
  await admin.query(`SELECT pg_create_logical_replication_slot('joined', 'test_decoding')`);
  sink = createElasticsearchSink(
    sinkConfig({
      name: 'product-search',
      elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 }, retireAfter: 0 },
      from: 'public.products',
      id: '{id}',
      document: { title: 'name', category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name'] } },
    }),
    { source: new PgSourceRows(pg.url()) },
  );
  await sink.open();
  const initial = await sink.apply(
    batchOf([f.next('r', { id: 10 }, { after: { id: 10, name: 'apple', category_id: 1 } })]),
  );
  expect(initial.rejected).toEqual([]);
  await admin.query(`ALTER SYSTEM SET synchronous_standby_names = 'ghost_standby'`);
  await admin.query('SELECT pg_reload_conf()');
}, 120_000);

afterAll(async () => {
  await sink?.close();
  for (const client of clients) await client.end().catch(() => undefined);
  await dropIndices(es, alias).catch(() => undefined);
  await es.close();
  await pg?.destroy();
});

describe('elasticsearch sink: a logged lookup change not yet visible to new snapshots', () => {
  it('ends with the new category name (its snapshots wait for the commit to become visible)', async () => {
    // the rename: decoded (what the connector logs), its COMMIT still waiting for the ghost standby
    const renamer = await connect();
    await renamer.query('BEGIN');
    const {
      rows: [{ xid }],
    } = await renamer.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    await renamer.query(`UPDATE categories SET name = 'Fruit!' WHERE id = 1`);
    const renamed = renamer.query('COMMIT');
    renamed.catch(() => undefined); // awaited below
    const admin = await connect();
    await waitFor(
      'the rename to be decoded',
      async () => {
        const { rows } = await admin.query<{ data: string }>(
          `SELECT data FROM pg_logical_slot_peek_changes('joined', NULL, NULL, 'include-xids', '1')`,
        );
        return rows.some((r) => r.data === `COMMIT ${xid}`) || undefined;
      },
      { timeoutMs: 30_000 },
    );
    const { rows: old } = await admin.query('SELECT name FROM categories WHERE id = 1');
    expect(old).toEqual([{ name: 'fruit' }]); // committed and decoded, yet a new snapshot misses it

    // a product change after it, committed without waiting for the standby (visible at once)
    const writer = await connect();
    await writer.query('SET synchronous_commit = local');
    await writer.query(`UPDATE products SET name = 'Apple' WHERE id = 10`);

    // the two batches in log order, as a worker applies them
    const rename = f.next('u', { id: 1 }, { table: 'public.categories', after: { id: 1, name: 'Fruit!' } });
    const product = f.next('u', { id: 10 }, { after: { id: 10, name: 'Apple', category_id: 1 } });
    const applying = (async () => {
      expect((await sink.apply(batchOf([rename]))).rejected).toEqual([]);
      expect((await sink.apply(batchOf([product]))).rejected).toEqual([]);
    })();
    applying.catch(() => undefined); // awaited below
    // give plain snapshots every chance to read the old name, then let the rename become visible
    await Promise.race([applying, new Promise((resolve) => setTimeout(resolve, 1500))]);
    await admin.query(`ALTER SYSTEM SET synchronous_standby_names = ''`);
    await admin.query('SELECT pg_reload_conf()');
    await renamed;
    await applying;

    const docs = await allDocs(es, alias);
    expect(docs.get('10')?.source).toEqual({ title: 'Apple', category: { name: 'Fruit!' } });
  }, 90_000);
});
