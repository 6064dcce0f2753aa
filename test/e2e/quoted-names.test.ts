/**
 * Any identifier works end to end (issue 16): a table in a schema and with a name that need quotes
 * (dots, quotes, spaces, mixed case), named that way in source.tables, `from`, a key template and a
 * projection, is snapshotted, streamed, cached, indexed and aggregated into a view (its SQL naming the table quoted) by real
 * connector and worker processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, esUrl, redisUrl, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import { Pipeline } from '../harness/pipeline';

const SCHEMA = 'Odd " . Schema';
const TABLE = 'Order Items';
const quote = (name: string): string => `"${name.split('"').join('""')}"`;
const QUALIFIED = `${quote(SCHEMA)}.${quote(TABLE)}`;

let db: TestDatabase;
let pipeline: Pipeline;
const name = uniqueName('quoted').replace(/_/g, '-');
const prefix = `${name}:item:`;
const index = uniqueName('quoted-idx').replace(/_/g, '-');

beforeAll(async () => {
  db = await createTestDatabase('quoted');
  await db.sql(`CREATE SCHEMA ${quote(SCHEMA)}`);
  await db.sql(`CREATE TABLE ${QUALIFIED} ("Order Id" int PRIMARY KEY, "Qty X" int, note text)`);
  await db.sql(`INSERT INTO ${QUALIFIED} VALUES (1, 5, 'before')`);
  pipeline = new Pipeline({
    name,
    sourceUrl: db.url,
    tables: [QUALIFIED],
    logRedisUrl: redisUrl(0),
    partitions: 2,
    snapshot: 'initial',
    sinks: [
      {
        name: 'items',
        redis: { url: redisUrl(0) },
        from: QUALIFIED,
        key: `${prefix}{"Order Id"}`,
        value: { fields: { qty: '"Qty X"', note: 'note' } },
      },
      {
        name: 'search',
        elasticsearch: { url: esUrl(), index },
        from: QUALIFIED,
        id: '{"Order Id"}',
        document: { qty: '"Qty X"', note: 'note' },
      },
      {
        name: 'totals',
        view: { postgres: db.url, table: 'public.quoted_totals' },
        sql: `SELECT note, count(*) AS n, sum("Qty X") AS qty FROM ${QUALIFIED} GROUP BY note`,
      },
    ],
  });
});

afterAll(async () => {
  await pipeline?.stopAll();
  const keys = await pipeline?.redis.keys(`${prefix}*`);
  if (keys?.length) await pipeline.redis.del(...keys);
  await pipeline?.destroy({ esUrl: esUrl(), esIndex: index });
  await db?.drop();
});

describe('quoted identifiers end to end', () => {
  it('snapshots and streams a table whose schema and name need quotes into the cache', async () => {
    const connector = pipeline.start('connector');
    pipeline.start('worker');
    await pipeline.waitForSlot(connector);
    await waitFor('the snapshot row in the cache', async () => (await pipeline.redis.get(`${prefix}1`)) !== null, {
      timeoutMs: 90_000,
    });
    expect(JSON.parse((await pipeline.redis.get(`${prefix}1`)) ?? 'null')).toEqual({ qty: 5, note: 'before' });
    await db.sql(`INSERT INTO ${QUALIFIED} VALUES (2, 7, 'after')`);
    await db.sql(`UPDATE ${QUALIFIED} SET "Qty X" = 6 WHERE "Order Id" = 1`);
    await waitFor(
      'the streamed changes in the cache',
      async () =>
        (await pipeline.redis.get(`${prefix}2`)) !== null &&
        JSON.parse((await pipeline.redis.get(`${prefix}1`)) ?? '{}').qty === 6,
      { timeoutMs: 90_000 },
    );
    expect(JSON.parse((await pipeline.redis.get(`${prefix}2`)) ?? 'null')).toEqual({ qty: 7, note: 'after' });
    await waitFor(
      'the documents in Elasticsearch',
      async () => {
        const response = await fetch(`${esUrl()}/${index}/_doc/1`);
        const doc = response.ok ? ((await response.json()) as { _source?: { qty?: number } }) : undefined;
        const two = await fetch(`${esUrl()}/${index}/_doc/2`);
        return doc?._source?.qty === 6 && two.ok;
      },
      { timeoutMs: 90_000 },
    );
    await waitFor(
      'the view over the quoted table',
      async () => {
        const rows = await db
          .sql<{ note: string; n: string; qty: string }>(
            'SELECT note, n::text, qty::text FROM public.quoted_totals ORDER BY note',
          )
          .catch(() => []);
        return (
          JSON.stringify(rows) ===
          JSON.stringify([
            { note: 'after', n: '1', qty: '7' },
            { note: 'before', n: '1', qty: '6' },
          ])
        );
      },
      { timeoutMs: 90_000 },
    );
  });
});
