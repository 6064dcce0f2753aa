/**
 * The partition task with the real Elasticsearch sink at bulk.batchesInFlight 3, over the real log:
 * one long transaction (every write at the same version) rewrites and deletes the same keys across
 * many small batches, while Elasticsearch answers late (a proxy delays every reply, so several
 * batches are in flight) and is cut off for a moment (the batches in flight fail and are applied
 * again, in order). The index ends with exactly each key's last write in log order.
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { positionToId, type ChangeEvent } from '@distributary/core';
import { configSchema, type ElasticsearchSinkConfig } from '@distributary/config';
import { ChangeLog, LogAppender, LogKeys, acquireLease, connectRedis } from '@distributary/changelog';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { silentLogger } from '@distributary/observability';
import { deleteNamespace, esUrl, pgUrl, redisUrl, startTcpProxy, uniqueName, waitFor } from '@distributary/testkit';
import { PartitionTask } from './partition-task';

const redis = connectRedis({ url: redisUrl() });
const es = new Client({ node: esUrl() });
const namespace = uniqueName('esinflight');
const alias = uniqueName('esinflight');
const keys = new LogKeys(namespace);
const KEYS = 40;
const EVENTS = 800;

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  await es.indices.delete({ index: `${alias}*`, ignore_unavailable: true });
  await es.close();
  redis.disconnect();
});

function sinkConfig(url: string): ElasticsearchSinkConfig {
  const config = configSchema.parse({
    source: { postgres: { url: pgUrl() }, tables: ['public.items'] },
    log: { redis: { url: redisUrl() }, namespace, partitions: 1 },
    sinks: [
      {
        name: 'search',
        elasticsearch: { url, index: alias, settings: { number_of_replicas: 0 }, bulk: { batchesInFlight: 3 } },
        from: 'public.items',
        document: { name: 'name' },
      },
    ],
  });
  return config.sinks[0] as ElasticsearchSinkConfig;
}

describe('Elasticsearch sink with 3 batches in flight', () => {
  it('one transaction over many batches, an outage in the middle: each key ends with its last write', async () => {
    const proxy = await startTcpProxy(Number(new URL(esUrl()).port), '127.0.0.1', { replyDelayMs: 15 });
    const sink = createElasticsearchSink(sinkConfig(proxy.url('http')), { source: new PgSourceRows(pgUrl()) });
    await sink.open();
    expect(sink.batchesInFlight).toBe(3);
    const lsn = 9_000_000n;
    const events: ChangeEvent[] = Array.from({ length: EVENTS }, (_, seq) => {
      const id = seq % KEYS;
      return seq % 7 === 3
        ? { pos: { lsn, seq }, op: 'd', table: 'public.items', key: { id } }
        : { pos: { lsn, seq }, op: 'u', table: 'public.items', key: { id }, after: { id, name: `v${seq}` } };
    });
    const token = (await acquireLease(redis, keys, 'search', 0, 'w', 60_000)) as number;
    const taskRedis = connectRedis({ url: redisUrl() });
    const task = new PartitionTask({
      log: new ChangeLog(taskRedis, keys, 1),
      sink,
      claim: { sink: 'search', partition: 0, fencingToken: token },
      batchSize: 100, // batches of up to 20 stay small, so 3 are in flight
      blockMs: 100,
      backoff: { baseMs: 20, capMs: 100 },
      isPaused: () => false,
      logger: silentLogger,
    });
    const appender = new LogAppender(redis, keys, 1);
    try {
      for (let i = 0; i < EVENTS; i += 20) {
        await appender.append(events.slice(i, i + 20), []);
        if (i === EVENTS / 2) {
          proxy.cut();
          await new Promise((resolve) => setTimeout(resolve, 300));
          proxy.resume();
        } else await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const last = positionToId(events[EVENTS - 1].pos);
      await waitFor('the task at the end', async () => task.position === last, { timeoutMs: 60_000 });
    } finally {
      await task.stop();
      taskRedis.disconnect();
      await sink.close();
      await proxy.close();
    }
    const expected = new Map<string, string>();
    for (const event of events) {
      if (event.op === 'd') expected.delete(String(event.key.id));
      else expected.set(String(event.key.id), String(event.after?.name));
    }
    await es.indices.refresh({ index: alias });
    const found = await es.search<{ name: string }>({ index: alias, size: 1000, query: { match_all: {} } });
    const actual = new Map(found.hits.hits.map((hit) => [hit._id as string, hit._source?.name as string]));
    expect(actual).toEqual(expected);
  });
});
