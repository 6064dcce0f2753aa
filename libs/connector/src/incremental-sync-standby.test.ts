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
 * An incremental snapshot chunk read while a transaction committed in the WAL BEFORE its low watermark is still
 * invisible to new snapshots (its COMMIT waits for a synchronous standby that never answers). Read at
 * a plain snapshot, the chunk holds the old row and is appended at the high watermark, after that
 * transaction's event: the log ends with the old row. The chunk must wait until the commit is visible.
 * A throwaway cluster: the setting would stall every commit on the shared server.
 */
let pg: ThrowawayPostgres;
let redis: RedisClient;
const namespace = uniqueName('incsync');
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
  connector = new Connector({
    config: configSchema.parse({
      source: {
        postgres: { url: pg.url(), slot: 'incsync', publication: 'incsync', snapshot: 'never' },
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
      (await admin.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'incsync' AND active`)).rowCount === 1 ||
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

describe('an incremental snapshot while a logged commit is not yet visible', () => {
  it('never appends a chunk row older than a change logged before its low watermark', async () => {
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
    expect((await done).rowsDone).toBe(20);

    expect(await loggedValue(7)).toBe('new');
  }, 120_000);
});
