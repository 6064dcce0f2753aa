import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@distributary/config';
import { compareIds } from '@distributary/core';
import { LogKeys, connectRedis, luaScript, toLogEntry, type RedisClient } from '@distributary/changelog';
import { createLogger } from '@distributary/observability';
import { Connector } from './connector';
import {
  createTestDatabase,
  deleteNamespace,
  redisUrl,
  stack,
  startTcpProxy,
  uniqueName,
  waitFor,
  type TcpProxy,
  type TestDatabase,
} from '@distributary/testkit';

/**
 * No append waits forever. While the connector streams, its log connection goes silent: the proxy
 * drops every reply on it from the first append on, and the socket stays open (a half-open peer —
 * ioredis would wait for ever). The append deadline ends the session with a clear error, the log
 * connection is re-opened, the next term replays from the confirmed LSN, and the log ends exact:
 * every event once, in commit order.
 */
const PARTITIONS = 2;
let db: TestDatabase;
let redis: RedisClient;
let proxy: TcpProxy;
const namespace = uniqueName('deadline');

beforeAll(async () => {
  db = await createTestDatabase('deadline');
  redis = connectRedis({ url: redisUrl() });
  proxy = await startTcpProxy(stack.redisPort);
  await db.sql(`CREATE TABLE t (id int PRIMARY KEY, v int)`);
});

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  redis.disconnect();
  await proxy.close();
  await db.drop();
});

describe('connector append deadline', () => {
  it('ends a session whose append is never answered, recovers, and loses or repeats nothing', async () => {
    const slot = uniqueName('slot');
    const lines: string[] = [];
    const connector = new Connector({
      config: configSchema.parse({
        source: {
          postgres: { url: db.url, slot, publication: slot, snapshot: 'never' },
          tables: ['public.t'],
          connector: { batchSize: 5 },
        },
        log: { redis: { url: proxy.url('redis') }, namespace, partitions: PARTITIONS },
      }),
      logger: createLogger('append-deadline-test', 'info', { write: (line: string) => void lines.push(line) }),
      appendTimeoutMs: 1000,
    });
    void connector.run();
    try {
      await waitFor('streaming', async () => lines.some((line) => line.includes('"msg":"streaming"')));
      for (let i = 1; i <= 30; i++) await db.sql(`INSERT INTO t VALUES (${i}, ${i})`);
      // Only the log connection carries the append script's calls (EVALSHA <its digest>); the lease's
      // own connection is untouched.
      proxy.silenceWhen(luaScript('append-batch').sha);
      for (let i = 31; i <= 60; i++) await db.sql(`INSERT INTO t VALUES (${i}, ${i})`);
      await db.sql(`UPDATE t SET v = v + 1000 WHERE id <= 5`);

      await waitFor('the deadline error', async () => lines.some((line) => line.includes('log append unanswered')));
      const keys = new LogKeys(namespace);
      const entries = await waitFor('65 events', async () => {
        const all = [];
        for (let p = 0; p < PARTITIONS; p++)
          all.push(...((await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]).map(toLogEntry));
        return all.length >= 65 ? all : undefined;
      });
      const events = entries.sort((a, b) => compareIds(a.id, b.id)).map((e) => e.event);
      expect(events.map((e) => [e.op, e.key.id])).toEqual([
        ...Array.from({ length: 60 }, (_, i) => ['c', i + 1]),
        ...Array.from({ length: 5 }, (_, i) => ['u', i + 1]),
      ]);
      expect(events.slice(60).map((e) => e.after?.v)).toEqual([1001, 1002, 1003, 1004, 1005]);
      const ended = lines.find((line) => line.includes('log append unanswered')) ?? '';
      expect(JSON.parse(ended)).toMatchObject({ msg: 'replication session ended; retrying' });
    } finally {
      await connector.stop();
    }
  });
});
