import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/pg-source';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import { ThrowawayRedis } from '../chaos/throwaway-redis';
import { repoRoot } from '../harness/role-process';

/**
 * Order per key across log Redis restarts mid-stream: single-row updates of a few keys stream while the
 * log Redis (its own throwaway instance, AOF always) is killed -9 and started again on the same AOF,
 * twice, with appends in flight (small batches). Every key's versions must be in the log exactly once
 * each and in the source's commit order: v = 0, 1, 2, … with no gap, no repeat, no swap.
 */
const PARTITIONS = 2;
const KEYS = 8;
const UPDATES = 600;
let db: TestDatabase;
let server: ThrowawayRedis;
let redis: RedisClient;

beforeAll(async () => {
  db = await createTestDatabase('logorder');
  server = await ThrowawayRedis.create(join(repoRoot, '.local', 'test', uniqueName('logorder-redis')));
  redis = connectRedis({ url: server.url });
  redis.on('error', () => undefined);
  await db.sql(`CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)`);
});

afterAll(async () => {
  redis.disconnect();
  await server.destroy();
  await db.drop();
});

describe('log order across log Redis restarts', () => {
  it('keeps every key in commit order, without gap or duplicate', async () => {
    const slot = uniqueName('slot');
    const namespace = uniqueName('order');
    const config = configSchema.parse({
      source: {
        postgres: { url: db.url, slot, publication: slot, snapshot: 'never' },
        tables: ['public.t'],
        connector: { batchSize: 5 },
      },
      log: { redis: { url: server.url }, namespace, partitions: PARTITIONS },
    });
    const connector = new Connector({ config, logger: silentLogger });
    void connector.run();
    try {
      await waitFor('streaming', async () => {
        const rows = await db.sql(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
        return connector.role === 'leader' && rows[0]?.active === true;
      });
      await db.sql(`INSERT INTO t SELECT g, 0 FROM generate_series(1, ${KEYS}) AS g`);
      for (let i = 0; i < UPDATES; i++) {
        await db.sql(`UPDATE t SET v = v + 1 WHERE id = ${(i % KEYS) + 1}`);
        if (i === UPDATES / 3 || i === (2 * UPDATES) / 3) await server.restart(300);
      }
      const keys = new LogKeys(namespace);
      const events = await waitFor(
        `${KEYS + UPDATES} events`,
        async () => {
          const all = [];
          for (let p = 0; p < PARTITIONS; p++)
            all.push(...((await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]).map(toLogEntry));
          return all.length >= KEYS + UPDATES ? all.map((e) => e.event) : undefined;
        },
        { timeoutMs: 180_000 },
      );
      expect(events).toHaveLength(KEYS + UPDATES);
      for (let id = 1; id <= KEYS; id++) {
        // stream order within a partition is ID order; every event of a key is in one partition
        const versions = events.filter((e) => e.key.id === id).map((e) => e.after?.v);
        expect(versions).toEqual(Array.from({ length: UPDATES / KEYS + 1 }, (_, v) => v));
      }
    } finally {
      await connector.stop();
    }
  }, 300_000);
});
