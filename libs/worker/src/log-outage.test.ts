import { afterAll, describe, expect, it } from 'vitest';
import { LogKeys, connectRedis, partitionStats, sinkPositions } from '@distributary/changelog';
import { redisUrl, stack, startTcpProxy, uniqueName, waitFor } from '@distributary/testkit';
import { SinkRunner } from './sink-runner';
import { appendEvents, makeEvent } from './testing/append-events';
import { deleteNamespace } from '@distributary/testkit';
import { RecordingSink, appliedRecords } from './testing/recording-sink';

describe('SinkRunner while the log Redis is unreachable', () => {
  const redis = connectRedis({ url: redisUrl() });
  const namespace = uniqueName('outage');
  const keys = new LogKeys(namespace);
  const prefix = `{${namespace}:rec}`;
  afterAll(async () => {
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  });

  it('stops, retries, and after the outage applies every event without loss', async () => {
    const proxy = await startTcpProxy(stack.redisPort);
    const viaProxy = connectRedis({ url: proxy.url('redis') });
    viaProxy.on('error', () => undefined); // connection resets are the point of this test
    const sink = new RecordingSink({ name: 'rec', tables: ['public.items'], redis, prefix, worker: 'w' });
    const runner = new SinkRunner({
      redis: viaProxy,
      namespace,
      partitions: 2,
      sinks: [sink],
      blockMs: 100,
      leaseTtlMs: 1000,
      memberTtlMs: 1000,
      statusEveryMs: 200,
      backoff: { baseMs: 10, capMs: 100 },
    });
    try {
      await runner.start();
      const first = Array.from({ length: 20 }, (_, i) => makeEvent('public.items', i));
      await appendEvents(redis, keys, 2, first);
      await waitFor('the first events', async () => (await count()) === 20);
      proxy.cut();
      const second = Array.from({ length: 20 }, (_, i) => makeEvent('public.items', i, 'u'));
      await appendEvents(redis, keys, 2, second);
      // leases run out while the worker cannot renew them; it drops its partitions
      await waitFor('the worker to drop its leases', async () => runner.status().owned.length === 0);
      proxy.resume();
      await waitFor('every event after the outage', async () => {
        const positions = await sinkPositions(redis, keys, 'rec', 2);
        for (let p = 0; p < 2; p++) {
          const stats = await partitionStats(redis, keys, p);
          if (stats.lastId && positions.get(p) !== stats.lastId) return false;
        }
        return true;
      });
      const applied = new Set<string>();
      for (let p = 0; p < 2; p++) for (const r of await appliedRecords(redis, prefix, p)) applied.add(r.id);
      expect([...first, ...second].filter((e) => !applied.has(`${e.pos.lsn}-0`))).toEqual([]);
    } finally {
      await runner.stop();
      viaProxy.disconnect();
      await proxy.close();
    }

    async function count(): Promise<number> {
      let n = 0;
      for (let p = 0; p < 2; p++) n += (await appliedRecords(redis, prefix, p)).length;
      return n;
    }
  });
});
