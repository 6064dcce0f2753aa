import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalKey } from '@distributary/core';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { GhostStandby, deleteNamespace, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { ThrowawayPostgres } from '../../../test/chaos/throwaway-postgres';
import { Connector } from './connector';

/**
 * Logged means visible: a transaction whose commit record is in the WAL (decoded) but whose backend
 * has not yet become visible to new snapshots — here it waits for a synchronous standby that never
 * answers — must not be in the log yet. Whoever reads it from the log and then reads the source (a
 * joined document, a lookup, a gateway's initial state) must find it there. The connector's role here
 * cannot see other backends in pg_stat_activity: the rule must not depend on that privilege.
 * A throwaway cluster: the setting would stall every commit on the shared server.
 */
let pg: ThrowawayPostgres;
let redis: RedisClient;
const namespace = uniqueName('visgate');
const keys = new LogKeys(namespace);
let connector: Connector | undefined;
let run: Promise<void> | undefined;
let standby: GhostStandby;
const connect = () => standby.connect();

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
  await admin.query(`CREATE ROLE capture LOGIN REPLICATION`);
  await admin.query(`GRANT CREATE ON DATABASE postgres TO capture`);
  await admin.query(`ALTER TABLE items OWNER TO capture`);
  const url = new URL(pg.url());
  url.username = 'capture';
  connector = new Connector({
    config: configSchema.parse({
      source: {
        postgres: { url: url.toString(), slot: 'visgate', publication: 'visgate', snapshot: 'never' },
        tables: ['public.items'],
      },
      log: { redis: { url: redisUrl() }, namespace, partitions: 2 },
    }),
    logger: silentLogger,
  });
  run = connector.run();
  await waitFor(
    'the slot to stream',
    async () =>
      (await admin.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'visgate' AND active`)).rowCount === 1 ||
      undefined,
    { timeoutMs: 60_000 },
  );
  await admin.query(`UPDATE items SET v = 'streamed' WHERE id = 1`);
  await waitFor('the stream to flow', async () => (await loggedValue(1)) === 'streamed' || undefined, {
    timeoutMs: 30_000,
  });
  await standby.hold();
}, 120_000);

afterAll(async () => {
  await standby?.release().catch(() => undefined);
  await connector?.stop();
  await run?.catch(() => undefined);
  await standby?.close();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
  await pg?.destroy();
});

describe('the log holds a decoded commit back until new snapshots see it', () => {
  it('whenever the log has the change, a fresh read of the source has it too', async () => {
    const writer = await connect();
    const committed = writer.query(`UPDATE items SET v = 'new' WHERE id = 7`); // waits for the ghost standby
    committed.catch(() => undefined); // awaited below
    const admin = await connect();
    await waitFor(
      'the update to wait for the standby (its commit record written)',
      async () =>
        (
          await admin.query(
            `SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE 'UPDATE items%'`,
          )
        ).rowCount === 1 || undefined,
      { timeoutMs: 30_000 },
    );
    const releaseAt = Date.now() + 2000;
    let released = false;
    let checks = 0;
    for (;;) {
      if (!released && Date.now() >= releaseAt) {
        await standby.release();
        released = true;
      }
      const logged = await loggedValue(7);
      if (logged === 'new') {
        // read AFTER seeing it in the log, as any downstream reader would
        expect((await admin.query('SELECT v FROM items WHERE id = 7')).rows).toEqual([{ v: 'new' }]);
        break;
      }
      expect(logged).toBeUndefined(); // id 7 was never streamed before: nothing in the log yet
      checks++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (released && Date.now() > releaseAt + 30_000) throw new Error('the update never reached the log');
    }
    expect(released).toBe(true);
    expect(checks).toBeGreaterThan(0);
    await committed;
  }, 120_000);
});
