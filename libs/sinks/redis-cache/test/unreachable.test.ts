import Redis, { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisCacheSinkSchema } from '@distributary/config';
import { RetryableError, positionToId, type ChangeEvent, type SinkBatch } from '@distributary/core';
import { registry } from '@distributary/observability';
import {
  clusterNodes,
  redisUrl,
  stack,
  startTcpProxy,
  uniqueName,
  waitFor,
  type TcpProxy,
} from '@distributary/testkit';
import { createRedisCacheSink, type RedisCacheSink } from '../src';

/**
 * "Cache down": a real TCP proxy in front of the real Redis (or one per cluster node, with the cluster
 * client's natMap pointing at them) is cut while the sink writes, then resumed. The sink must throw
 * RetryableError while it is down and, retried like the worker does, lose nothing.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function events(prefixLsn: number, ids: number[], name: string): ChangeEvent[] {
  return ids.map((id, i) => ({
    pos: { lsn: BigInt(prefixLsn + i), seq: 0 },
    op: prefixLsn === 100 ? 'c' : 'u',
    table: 'public.products',
    key: { id },
    after: { id, name: `${name}-${id}`, category_id: id % 2 },
  }));
}

function batch(list: ChangeEvent[]): SinkBatch {
  return {
    sink: 'cache',
    partition: 0,
    events: list,
    lastId: positionToId(list[list.length - 1].pos),
    fencingToken: 1,
  };
}

/** What the worker runner does with a RetryableError: try the same batch again until it goes through. */
async function retryUntilApplied(sink: RedisCacheSink, work: SinkBatch) {
  return waitFor(
    'the batch to apply after the cache came back',
    async () => {
      try {
        return await sink.apply(work);
      } catch (error) {
        if (error instanceof RetryableError) return undefined;
        throw error;
      }
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

async function cutAndRecover(
  sink: RedisCacheSink,
  proxies: TcpProxy[],
  reader: Redis | Cluster,
  prefix: string,
): Promise<void> {
  const ids = [1, 2, 3, 4, 5, 6];
  await sink.apply(batch(events(100, ids, 'v1')));
  expect(await reader.get(`${prefix}:product:1`)).toContain('v1-1');

  for (const proxy of proxies) proxy.cut();
  const during = batch(events(200, ids, 'v2'));
  await expect(sink.apply(during)).rejects.toBeInstanceOf(RetryableError);
  await expect(sink.apply(during)).rejects.toThrow(/cache Redis unavailable/);

  for (const proxy of proxies) proxy.resume();
  const result = await retryUntilApplied(sink, during);
  expect(result.rejected).toEqual([]);
  for (const id of ids) {
    expect(JSON.parse((await reader.get(`${prefix}:product:${id}`)) ?? 'null')).toEqual({
      id,
      name: `v2-${id}`,
      category_id: id % 2,
    });
  }
  expect(await reader.smembers(`${prefix}:category:0:products`)).toHaveLength(3);
  expect(await reader.smembers(`${prefix}:category:1:products`)).toHaveLength(3);
  const errors = await registry.getSingleMetricAsString('distributary_redis_cache_errors_total');
  expect(errors).toMatch(/kind="unavailable"} [1-9]/);
}

function cacheConfig(prefix: string, redis: { url: string } | { cluster: string[] }) {
  return redisCacheSinkSchema.parse({
    name: 'product-cache',
    redis,
    from: 'public.products',
    key: `${prefix}:product:{id}`,
    namespace: `${prefix}:state`,
    commandTimeout: '2s',
    queries: [{ key: `${prefix}:category:{category_id}:products`, member: '{id}' }],
  });
}

async function deleteMatching(client: Redis | Cluster, pattern: string): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    const keys = (await node.keys(pattern)) as string[];
    for (const key of keys) await client.del(key);
  }
}

describe('redis cache sink with an unreachable cache', () => {
  it('single Redis behind a cut proxy: RetryableError, then nothing lost after resume', async () => {
    const prefix = uniqueName('rcdown');
    const proxy = await startTcpProxy(stack.redisPort);
    const reader = new Redis(redisUrl());
    cleanups.push(async () => {
      await deleteMatching(reader, `*${prefix}*`);
      await reader.quit();
      await proxy.close();
    });
    const sink = createRedisCacheSink(cacheConfig(prefix, { url: proxy.url('redis') }));
    cleanups.push(() => sink.close());

    proxy.cut();
    await expect(sink.open()).rejects.toBeInstanceOf(RetryableError);
    proxy.resume();
    await waitFor('the sink to open', async () => {
      try {
        await sink.open();
        return true;
      } catch (error) {
        if (error instanceof RetryableError) return false;
        throw error;
      }
    });
    await cutAndRecover(sink, [proxy], reader, prefix);
  });

  it('3-node Redis Cluster behind cut proxies (natMap): RetryableError, then nothing lost after resume', async () => {
    const prefix = uniqueName('rcdown');
    const nodes = clusterNodes();
    const proxies = await Promise.all(nodes.map((node) => startTcpProxy(node.port, node.host)));
    const natMap = Object.fromEntries(
      nodes.map((node, i) => [`${node.host}:${node.port}`, { host: '127.0.0.1', port: proxies[i].port }]),
    );
    const viaProxies = new Cluster(
      proxies.map((proxy) => ({ host: '127.0.0.1', port: proxy.port })),
      {
        natMap,
        redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 2_000, connectTimeout: 2_000 },
        clusterRetryStrategy: () => 200,
      },
    );
    viaProxies.on('error', () => undefined);
    const reader = new Cluster(nodes);
    cleanups.push(async () => {
      await deleteMatching(reader, `*${prefix}*`);
      await reader.quit();
      viaProxies.disconnect();
      for (const proxy of proxies) await proxy.close();
    });
    const config = cacheConfig(prefix, { cluster: nodes.map((n) => `redis://${n.host}:${n.port}`) });
    const sink = createRedisCacheSink(config, { client: viaProxies });
    cleanups.push(() => sink.close());
    await sink.open();
    await cutAndRecover(sink, proxies, reader, prefix);
  });
});
