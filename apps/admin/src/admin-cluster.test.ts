import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendDeadLetter, connectRedis, LogKeys, type RedisClient } from '@distributary/changelog';
import { clusterNodes, createTestDatabase, uniqueName, type TestDatabase } from '@distributary/testkit';
import { startAdmin, type RunningAdmin } from './index';
import { appendEvents, productEvents, testConfig, VIEWER_TOKEN } from './testing/pipeline-fixture';

/** The same reads against a log on the 3-node Redis Cluster (partitions on different shards). */
const SINK = 'product-cache';
const PARTITIONS = 4;
let db: TestDatabase;
let redis: RedisClient;
let keys: LogKeys;
let admin: RunningAdmin;
let namespace: string;

async function get<T>(path: string): Promise<T> {
  const response = await fetch(admin.url + path, { headers: { authorization: `Bearer ${VIEWER_TOKEN}` } });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

beforeAll(async () => {
  namespace = uniqueName('admc');
  db = await createTestDatabase('admc');
  const urls = clusterNodes().map((n) => `redis://${n.host}:${n.port}`);
  redis = connectRedis({ cluster: urls });
  keys = new LogKeys(namespace);
  const config = testConfig({
    namespace,
    pgUrl: db.url,
    redisUrl: urls[0],
    slot: uniqueName('admc_slot'),
    partitions: PARTITIONS,
  });
  admin = await startAdmin(
    { ...config, log: { ...config.log, redis: { cluster: urls } } },
    { port: 0, dashboardDir: null, envTokens: '' },
  );
});

afterAll(async () => {
  await admin?.close();
  if (redis) {
    const keysToDelete = [
      ...Array.from({ length: PARTITIONS }, (_, n) => [keys.partition(n), keys.positions(n)]).flat(),
      keys.deadLetters(SINK),
    ];
    for (const key of keysToDelete) await redis.del(key);
    redis.disconnect();
  }
  await db?.drop();
});

describe('admin API on Redis Cluster', () => {
  it('reports partitions, lag, dead letters and compaction across shards', async () => {
    const last = await appendEvents(redis, keys, PARTITIONS, productEvents(30, { ageMs: 2000 }));
    const partitions = await get<{ length: number }[]>('/api/log/partitions');
    expect(partitions.reduce((n, p) => n + p.length, 0)).toBe(30);
    expect((await get<{ lagEntries: number }>(`/api/sinks/${SINK}`)).lagEntries).toBe(30);
    const [partition, id] = [...last][0];
    await redis.hset(keys.positions(partition), SINK, id);
    expect((await get<{ lagEntries: number }>(`/api/sinks/${SINK}`)).lagEntries).toBe(
      30 - partitions[partition].length,
    );

    await appendDeadLetter(redis, keys, SINK, 1, productEvents(1)[0], 'mapping conflict');
    expect((await get<{ total: number }>(`/api/sinks/${SINK}/dlq`)).total).toBe(1);
    expect(await get('/api/compaction')).toMatchObject({ entries: 30, lastScheduledRun: null });
  });
});
