import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import {
  createTestDatabase,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';
import { confirmedCurrentWal, connectorUnderTest } from '../test/connector-under-test';
import { Connector } from './connector';

/**
 * An UPDATE whose unchanged TOAST value no source holds: the log has no version of the row (here it
 * predates the slot; in the full chaos run, a resumed re-sync snapshot read the table after the row had
 * been updated and deleted), there is no old tuple (REPLICA IDENTITY DEFAULT), and the row is gone
 * from the source by the time the connector decodes the UPDATE. The connector used to fail the session
 * on it and retry forever: the pipeline stopped for good. The row is removed by a later change in the
 * WAL and no sink holds it, so the UPDATE is superseded: it is skipped, and everything after it flows.
 */
const PARTITIONS = 2;
let db: TestDatabase;
let redis: RedisClient;

beforeAll(async () => {
  db = await createTestDatabase('toastgone');
  redis = connectRedis({ url: redisUrl() });
  await db.sql(`CREATE TABLE notes (id int PRIMARY KEY, n int NOT NULL, body text NOT NULL)`);
  // out of line, uncompressed: an UPDATE that leaves it alone sends it as "unchanged TOAST"
  await db.sql(`ALTER TABLE notes ALTER COLUMN body SET STORAGE EXTERNAL`);
  await db.sql(
    `INSERT INTO notes SELECT g, 0, (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 200) i)
       FROM generate_series(1, 2) g`,
  );
});

afterAll(async () => {
  redis?.disconnect();
  await db?.drop();
});

function connector(namespace: string, slot: string): Connector {
  return connectorUnderTest({
    db,
    namespace,
    slot,
    tables: ['public.notes'],
    snapshot: 'never',
    partitions: PARTITIONS,
  });
}

describe('an update whose unchanged TOAST value no source holds', () => {
  it('is skipped when the row is gone and the log never had it; later changes flow', async () => {
    const namespace = uniqueName('toastgone');
    const slot = uniqueName('slot');
    const keys = new LogKeys(namespace);
    const first = connector(namespace, slot);
    const firstRun = first.run();
    await waitFor('the connector to stream from its new slot', async () => slotStreaming(db, slot), {
      timeoutMs: 60_000,
    });
    await first.stop();
    await firstRun.catch(() => undefined);

    // while no connector runs: update row 1 leaving its TOAST value alone, then delete it; row 3 is new
    await db.sql(`UPDATE notes SET n = n + 1 WHERE id = 1`);
    await db.sql(`DELETE FROM notes WHERE id = 1`);
    await db.sql(`INSERT INTO notes VALUES (3, 0, 'short')`);

    const second = connector(namespace, slot);
    const secondRun = second.run();
    try {
      await confirmedCurrentWal(db, redis, namespace); // past the update, the delete and the insert
      const logged: string[] = [];
      for (let p = 0; p < PARTITIONS; p++)
        for (const raw of (await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]) {
          const { event } = toLogEntry(raw);
          logged.push(`${event.op} ${String(event.key.id)}`);
        }
      expect(logged.sort()).toEqual(['c 3', 'd 1']);
    } finally {
      await second.stop();
      await secondRun.catch(() => undefined);
    }
  }, 120_000);
});
