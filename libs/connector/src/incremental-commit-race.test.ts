import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalKey } from '@distributary/core';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { GhostStandby, deleteNamespace, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { ThrowawayPostgres } from '../../../test/chaos/throwaway-postgres';
import { Connector } from './connector';
import { SnapshotRequests, requestSnapshot } from '@distributary/control';

/**
 * The general case of incremental-sync-standby.test.ts: a transaction committed in the WAL BEFORE a chunk's low
 * watermark that the chunk's snapshot does not see, and that nothing in pg_stat_activity reveals. Under
 * load a committing backend can be descheduled between writing its commit record (decoded, logged) and
 * leaving the proc array (visible), with no wait event; a role without pg_read_all_stats does not see
 * other backends at all. Here the connector's role cannot see them, so the visible-snapshot wait is
 * blind and the chunk's read sees the old row: the window must notice from the read's own snapshot
 * (pg_current_snapshot()) that it missed a logged commit, and never append the older row after it.
 * A throwaway cluster: the setting would stall every commit on the shared server.
 */
let pg: ThrowawayPostgres;
let redis: RedisClient;
const namespace = uniqueName('incrace');
const keys = new LogKeys(namespace);
let connector: Connector | undefined;
let run: Promise<void> | undefined;
let standby: GhostStandby;
const connect = () => standby.connect();

/** The value of key `id` after the log's events for it (one partition holds them all, in log order). */
async function loggedValue(id: number): Promise<unknown> {
  const key = canonicalKey('public.items', { id });
  let value: unknown;
  for (let p = 0; p < 2; p++) {
    for (const raw of (await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]) {
      const { event } = toLogEntry(raw);
      if (canonicalKey(event.table, event.key) === key) value = event.op === 'd' ? undefined : event.after?.v;
    }
  }
  return value;
}

beforeAll(async () => {
  pg = await ThrowawayPostgres.create(join(__dirname, '../../../../.local/visible-snapshot', namespace));
  redis = connectRedis({ url: redisUrl() });
  standby = new GhostStandby(pg.url());
  const admin = await connect();
  await admin.query(`CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)`);
  await admin.query(`INSERT INTO items SELECT g, 'old' FROM generate_series(1, 20) g`);
  // a role that can replicate but cannot see other roles' backends in pg_stat_activity
  await admin.query(`CREATE ROLE capture LOGIN REPLICATION`);
  await admin.query(`GRANT CREATE ON DATABASE postgres TO capture`);
  await admin.query(`ALTER TABLE items OWNER TO capture`);
  const url = new URL(pg.url());
  url.username = 'capture';
  connector = new Connector({
    config: configSchema.parse({
      source: {
        postgres: { url: url.toString(), slot: 'incrace', publication: 'incrace', snapshot: 'never' },
        tables: ['public.items'],
      },
      log: { redis: { url: redisUrl() }, namespace, partitions: 2 },
    }),
    logger: silentLogger,
  });
  run = connector.run();
  await waitFor('the connector to lead and stream', async () => connector?.role === 'leader', { timeoutMs: 60_000 });
  await waitFor(
    'the slot to stream',
    async () =>
      (await admin.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'incrace' AND active`)).rowCount === 1 ||
      undefined,
    { timeoutMs: 60_000 },
  );
  // the slot exists and streams: from here on every commit waits for the (absent) standby
  await standby.hold();
}, 120_000);

afterAll(async () => {
  await standby?.release().catch(() => undefined); // a failed test must not leave commits waiting
  await connector?.stop();
  await run?.catch(() => undefined);
  await standby?.close();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
  await pg?.destroy();
});

describe('an incremental snapshot whose read misses a logged commit that pg_stat_activity does not show', () => {
  it('reads the chunk again instead of appending a row older than the logged change', async () => {
    const writer = await connect();
    const committed = writer.query(`UPDATE items SET v = 'new' WHERE id = 7`); // waits for the ghost standby
    committed.catch(() => undefined); // awaited below
    const admin = await connect();
    // its commit record is in the WAL (so before any watermark written from now on), the commit unseen
    await waitFor(
      'the update to wait for the standby',
      async () =>
        (
          await admin.query(
            `SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE 'UPDATE items%'`,
          )
        ).rowCount === 1 || undefined,
      { timeoutMs: 30_000 },
    );
    expect((await admin.query('SELECT v FROM items WHERE id = 7')).rows).toEqual([{ v: 'old' }]);

    const record = await requestSnapshot(redis, keys, { table: 'public.items', chunkSize: 100, reason: 'test' });
    const requests = new SnapshotRequests(redis, keys);
    const done = waitFor(
      'the snapshot to finish',
      async () => {
        const current = await requests.get(record.id);
        if (current?.status === 'failed') throw new Error(`snapshot failed: ${current.error}`);
        return current?.status === 'done' ? current : undefined;
      },
      { timeoutMs: 60_000 },
    );
    done.catch(() => undefined); // awaited below
    // give a plain snapshot every chance to read the old row, then let the update become visible
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 1500))]);
    await standby.release();
    await committed;
    // 20 when the chunk was read again after the commit became visible; 19 when the window knew the
    // missed transaction's keys and dropped row 7 (the log holds its newer value): both exact
    expect((await done).rowsDone).toBeGreaterThanOrEqual(19);

    expect(await loggedValue(7)).toBe('new');
  }, 120_000);
});
