import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@distributary/config';
import { compareIds } from '@distributary/core';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from './connector';
import {
  createTestDatabase,
  redisUrl,
  stack,
  startTcpProxy,
  uniqueName,
  waitFor,
  type TcpProxy,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';

/** The log Redis becomes unreachable mid-workload: the connector waits, retries, and loses nothing. */
const PARTITIONS = 2;
let db: TestDatabase;
let redis: RedisClient;
let proxy: TcpProxy;
const namespace = uniqueName('outage');

beforeAll(async () => {
  db = await createTestDatabase('outage');
  redis = connectRedis({ url: redisUrl() });
  proxy = await startTcpProxy(stack.redisPort);
  await db.sql(`CREATE TABLE t (id int PRIMARY KEY, v int)`);
});

afterAll(async () => {
  const keys = await redis.keys(`{${namespace}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await proxy.close();
  await db.drop();
});

describe('connector with the log Redis down', () => {
  it('stops reading, retries, and ends with every event exactly once', async () => {
    const slot = uniqueName('slot');
    const config = configSchema.parse({
      source: {
        postgres: { url: db.url, slot, publication: slot, snapshot: 'never', heartbeat: '1s' },
        tables: ['public.t'],
        connector: { batchSize: 10, leaseTtl: '1500ms', leaseRenew: '300ms' },
      },
      log: { redis: { url: proxy.url('redis') }, namespace, partitions: PARTITIONS },
    });
    const connector = new Connector({ config, logger: silentLogger });
    void connector.run();
    try {
      await waitFor('streaming', async () => {
        return connector.role === 'leader' && (await slotStreaming(db, slot));
      });
      for (let i = 1; i <= 40; i++) await db.sql(`INSERT INTO t VALUES (${i}, ${i})`);
      proxy.cut();
      for (let i = 41; i <= 80; i++) await db.sql(`INSERT INTO t VALUES (${i}, ${i})`);
      await db.sql(`UPDATE t SET v = v + 1000 WHERE id <= 5`);
      // The leader cannot renew its lease while Redis is unreachable: it stops streaming.
      await waitFor('the leader stopped streaming', async () => connector.role !== 'leader', { timeoutMs: 20_000 });
      proxy.resume();

      const keys = new LogKeys(namespace);
      const entries = await waitFor('85 events', async () => {
        const all = [];
        for (let p = 0; p < PARTITIONS; p++)
          all.push(...((await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]).map(toLogEntry));
        return all.length >= 85 ? all : undefined;
      });
      const events = entries.sort((a, b) => compareIds(a.id, b.id)).map((e) => e.event);
      expect(events.map((e) => [e.op, e.key.id])).toEqual([
        ...Array.from({ length: 80 }, (_, i) => ['c', i + 1]),
        ...Array.from({ length: 5 }, (_, i) => ['u', i + 1]),
      ]);
      expect(events.slice(80).map((e) => e.after?.v)).toEqual([1001, 1002, 1003, 1004, 1005]);
    } finally {
      proxy.resume();
      await connector.stop();
    }
  });
});
