import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { connectRedis, LogKeys, type RedisClient } from '@distributary/changelog';
import { createRawTextPool, TypeResolver } from '@distributary/pg-catalog';
import {
  DurableLsn,
  IncrementalSnapshotRunner,
  readOnly,
  SnapshotWhereError,
  WatermarkWindow,
} from '@distributary/pg-snapshot';
import { requestSnapshot, snapshotControls } from './snapshot-jobs';
import { SnapshotRequests } from './snapshot-requests';
import { createTestDatabase, deleteNamespace, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';

/**
 * Hostile snapshot conditions against a real Postgres and Redis: a refused `where` records and
 * creates nothing; a condition that reaches the runner anyway (an old or tampered record) is checked
 * again and ends the job 'failed' with its error, never stuck 'queued'; reads are READ ONLY.
 */
const INJECTION = 'id = -1; CREATE TABLE public.injected (x int); --';
let db: TestDatabase;
let pool: Pool;
let redis: RedisClient;
let keys: LogKeys;
let namespace: string;

const injectedExists = async () =>
  (await db.sql<{ n: string }>(`SELECT count(*)::text AS n FROM pg_class WHERE relname = 'injected'`))[0].n !== '0';

beforeAll(async () => {
  db = await createTestDatabase('snapref');
  await db.sql(`CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL)`);
  await db.sql(`INSERT INTO items SELECT g, g FROM generate_series(1, 20) g`);
  pool = createRawTextPool(db.url, { max: 2 });
  redis = connectRedis({ url: redisUrl() });
  namespace = uniqueName('snapref');
  keys = new LogKeys(namespace);
});

afterAll(async () => {
  await pool?.end();
  if (redis) {
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  }
  await db?.drop();
});

describe('snapshot requests from untrusted input', () => {
  it('refuses an injected statement before recording anything (API and CLI path)', async () => {
    const controls = snapshotControls(redis, keys, ['public.items'], { source: pool });
    await expect(controls.start({ tables: ['public.items'], where: INJECTION })).rejects.toBeInstanceOf(
      SnapshotWhereError,
    );
    await expect(requestSnapshot(redis, keys, { table: 'public.items', where: INJECTION })).rejects.toThrow(/";"/);
    await expect(controls.start({ where: 'nope > 1' })).rejects.toThrow(/no column "nope"/);
    expect(await new SnapshotRequests(redis, keys).list()).toEqual([]);
    expect(await injectedExists()).toBe(false);
  });

  it('stores the condition as rendered from its AST', async () => {
    const [record] = await snapshotControls(redis, keys, ['public.items'], { source: pool }).start({
      where: "lower(v::text) = '3'  AND   id < 10",
    });
    expect(record.where).toBe("pg_catalog.lower(v::text) = '3' AND id < 10");
  });

  it('a tampered record reaching the runner ends failed with its error, and nothing runs', async () => {
    const requests = new SnapshotRequests(redis, keys);
    const runner = new IncrementalSnapshotRunner({
      pool,
      types: new TypeResolver(pool),
      window: new WatermarkWindow(),
      durable: new DurableLsn(),
      requests,
    });
    for (const where of [INJECTION, 'missing_column = 1']) {
      const record = await requests.create({ table: 'public.items' });
      await requests.update(record.id, { where }); // as if written before the check existed
      await expect(runner.run(record.id)).rejects.toBeInstanceOf(SnapshotWhereError);
      const failed = await requests.get(record.id);
      expect(failed?.status).toBe('failed');
      expect(failed?.error).toMatch(/where:/);
    }
    const gone = await requests.create({ table: 'public.no_such_table' });
    await expect(runner.run(gone.id)).rejects.toThrow();
    expect((await requests.get(gone.id))?.status).toBe('failed');
    expect(await injectedExists()).toBe(false);
  });

  it('key values are literals: a hostile key fails the job, it never runs as SQL', async () => {
    const requests = new SnapshotRequests(redis, keys);
    const runner = new IncrementalSnapshotRunner({
      pool,
      types: new TypeResolver(pool),
      window: new WatermarkWindow(),
      durable: new DurableLsn(),
      requests,
    });
    const record = await requestSnapshot(redis, keys, {
      table: 'public.items',
      keys: [{ id: "1'); CREATE TABLE public.injected (x int); --" }, { id: "1\\'" }],
    });
    await expect(runner.run(record.id)).rejects.toThrow(/invalid input syntax for type integer/);
    expect((await requests.get(record.id))?.status).toBe('failed');
    await expect(requestSnapshot(redis, keys, { table: 'public.items', keys: [[1]] as never })).rejects.toThrow(
      /key objects/,
    );
    expect(await injectedExists()).toBe(false);
  });

  it('snapshot reads run in READ ONLY transactions', async () => {
    await expect(readOnly(pool, (client) => client.query('CREATE TABLE injected (x int)'))).rejects.toThrow(
      /read-only transaction/,
    );
    expect(await readOnly(pool, async (client) => (await client.query('SELECT 1 AS one')).rows[0])).toEqual({
      one: '1',
    });
    expect(await injectedExists()).toBe(false);
  });
});
