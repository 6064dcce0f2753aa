import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type DistributaryConfig } from '@distributary/config';
import { LogKeys, connectRedis, readConnectorState, toLogEntry, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import {
  createTestDatabase,
  deleteNamespace,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';
import { Connector } from './connector';
import { requestSnapshot } from '@distributary/control';

/**
 * A connector blocked on a lock another session holds says so — what waits, on which table, held by
 * which session and since when — in its state (`distributary status`, the admin API's /health/ready),
 * and clears it once the lock is released. Real blocking transactions, no mocks: a LOCK TABLE held
 * across the connector's start (CREATE PUBLICATION waits for it), then across an incremental snapshot
 * (its chunk read waits for it).
 */
const PARTITIONS = 2;
let db: TestDatabase;
let redis: RedisClient;
let keys: LogKeys;
let config: DistributaryConfig;
let connector: Connector | undefined;

beforeAll(async () => {
  db = await createTestDatabase('lockwait');
  redis = connectRedis({ url: redisUrl() });
  const namespace = uniqueName('lockwait');
  keys = new LogKeys(namespace);
  await db.sql(`CREATE TABLE guarded (id int PRIMARY KEY, v text);
                INSERT INTO guarded SELECT g, 'v' || g FROM generate_series(1, 20) g;`);
  config = configSchema.parse({
    source: {
      postgres: {
        url: db.url,
        slot: uniqueName('slot'),
        publication: uniqueName('pub'),
        snapshot: 'never',
        heartbeat: '1s',
      },
      tables: ['public.guarded'],
      connector: { statusEvery: '500ms' },
    },
    log: { redis: { url: redisUrl() }, namespace, partitions: PARTITIONS },
  });
});

afterAll(async () => {
  await connector?.stop();
  await deleteNamespace(redis, keys.namespace);
  redis.disconnect();
  await db?.drop();
});

/** A session holding ACCESS EXCLUSIVE on the table in an open transaction, and its pid. */
async function lockTable(): Promise<{ pid: number; release: () => Promise<void> }> {
  const blocker = new Client({ connectionString: db.url });
  await blocker.connect();
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE guarded IN ACCESS EXCLUSIVE MODE');
  const { pid } = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0];
  return {
    pid,
    release: async () => {
      await blocker.query('COMMIT');
      await blocker.end();
    },
  };
}

function waitingFor(): Promise<{ waitingFor: string; waitingSince: string }> {
  return readConnectorState(redis, keys).then((s) => ({
    waitingFor: s.waitingFor ?? '',
    waitingSince: s.waitingSince ?? '',
  }));
}

async function snapshotRows(): Promise<number> {
  let rows = 0;
  for (let p = 0; p < PARTITIONS; p++)
    for (const raw of (await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][])
      if (toLogEntry(raw).event.snapshot) rows++;
  return rows;
}

describe('a connector blocked on a lock reports it', () => {
  it('names the table, the holder and since when; clears it when the lock is released', async () => {
    const lock = await lockTable();
    connector = new Connector({ config, logger: silentLogger });
    void connector.run();
    const seen = await waitFor(
      'the connector state names the lock',
      async () => {
        const state = await waitingFor();
        return state.waitingFor.includes(`pid ${lock.pid}`) ? state : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(seen.waitingFor).toMatch(
      new RegExp(
        `waits for a lock on table guarded \\(\\w+Lock\\) held by pid ${lock.pid} on ${db.name} \\(idle in transaction, transaction open since `,
      ),
    );
    expect(seen.waitingFor).toContain('PUBLICATION');
    expect(Number.isNaN(Date.parse(seen.waitingSince))).toBe(false);
    await lock.release();
    await waitFor('the wait is cleared', async () => (await waitingFor()).waitingFor === '', { timeoutMs: 30_000 });
    await waitFor('the connector streams', async () => slotStreaming(db, config.source.postgres.slot), {
      timeoutMs: 120_000,
    });
  });

  it('an incremental snapshot blocked by a table lock is reported, then completes', async () => {
    const lock = await lockTable();
    await requestSnapshot(redis, keys, { table: 'public.guarded', reason: 'lock-wait test' });
    const seen = await waitFor(
      'the snapshot read is reported waiting',
      async () => {
        const state = await waitingFor();
        return state.waitingFor.includes(`held by pid ${lock.pid}`) ? state : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(seen.waitingFor).toMatch(/waits for a lock on table guarded \(AccessShareLock\)/);
    expect(await snapshotRows()).toBe(0);
    await lock.release();
    await waitFor('the snapshot rows are in the log', async () => (await snapshotRows()) >= 20, { timeoutMs: 60_000 });
    await waitFor('the wait is cleared', async () => (await waitingFor()).waitingFor === '', { timeoutMs: 30_000 });
  });
});
