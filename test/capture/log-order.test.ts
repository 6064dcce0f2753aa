import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import { createTestDatabase, uniqueName, type TestDatabase } from '@distributary/testkit';
import { ThrowawayRedis } from '../chaos/throwaway-redis';
import { repoRoot } from '../harness/role-process';
import { expectCommitOrderThrough, orderConfig, UPDATES } from './log-order-scenario';

/**
 * Order per key across log Redis restarts mid-stream (log-order-scenario.ts): the log Redis (its own
 * throwaway instance, AOF always) is killed -9 and started again on the same AOF, twice, while the
 * updates stream. Every key's versions must be in the log exactly once each and in commit order.
 */
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
    const connector = new Connector({
      config: orderConfig(db, { url: server.url }, namespace, slot),
      logger: silentLogger,
    });
    void connector.run();
    try {
      await expectCommitOrderThrough(connector, db, redis, namespace, slot, async (i) => {
        if (i === UPDATES / 3 || i === (2 * UPDATES) / 3) await server.restart(300);
      });
    } finally {
      await connector.stop();
    }
  }, 300_000);
});
