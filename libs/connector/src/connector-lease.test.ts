import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from './connector';
import {
  createTestDatabase,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';

// The leader renews its lease on a connection of its own: a log connection busy with appends (under a
// large transaction, up to maxInFlightBytes of them queued on a loaded Redis) must not delay the
// renewal past the TTL. Here the connector's log connection is held by a blocking BLPOP for three
// TTLs; the leader keeps its lease throughout and streams on once the connection is free again.
let db: TestDatabase;
let redis: RedisClient;
let shared: RedisClient;
const namespace = uniqueName('lease_conn');

beforeAll(async () => {
  db = await createTestDatabase('lease_conn');
  redis = connectRedis({ url: redisUrl() });
  shared = connectRedis({ url: redisUrl() });
  await db.sql(`CREATE TABLE t (id int PRIMARY KEY, v int)`);
});

afterAll(async () => {
  const keys = await redis.keys(`{${namespace}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  shared.disconnect();
  await db.drop();
});

describe('connector lease renewal', () => {
  it('keeps the lease while the log connection is blocked for three TTLs, then streams on', async () => {
    const slot = uniqueName('slot');
    const config = configSchema.parse({
      source: {
        postgres: { url: db.url, slot, publication: slot, snapshot: 'never', heartbeat: '1s' },
        tables: ['public.t'],
        connector: { batchSize: 10, leaseTtl: '3s', leaseRenew: '500ms' },
      },
      log: { redis: { url: redisUrl() }, namespace, partitions: 1 },
    });
    const connector = new Connector({ config, logger: silentLogger, redis: shared });
    void connector.run();
    try {
      await waitFor('streaming', async () => {
        return connector.role === 'leader' && (await slotStreaming(db, slot));
      });
      const keys = new LogKeys(namespace);
      const holder = await redis.get(keys.connectorLease());
      expect(holder).not.toBeNull();

      // every command the connector sends on its log connection now waits behind this one
      const blocked = shared.blpop(`{${namespace}}:never`, 9);
      const roles = new Set<string>();
      let done = false;
      void blocked.finally(() => (done = true));
      while (!done) {
        roles.add(connector.role);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect([...roles]).toEqual(['leader']);
      expect(await redis.get(keys.connectorLease())).toBe(holder);

      await db.sql(`INSERT INTO t VALUES (1, 1)`);
      const entries = await waitFor('the row in the log', async () => {
        const raw = (await redis.xrange(keys.partition(0), '-', '+')) as [string, string[]][];
        return raw.length ? raw.map(toLogEntry) : undefined;
      });
      expect(entries.map((e) => e.event.key)).toEqual([{ id: 1 }]);
    } finally {
      await connector.stop();
    }
  }, 60_000);
});
