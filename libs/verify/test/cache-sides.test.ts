import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type RedisCacheSinkConfig } from '@distributary/config';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import { createRedisCacheSink, scanKeys } from '@distributary/sink-redis-cache';
import { compareSides, isClean } from '@distributary/verify';
import { createTestDatabase, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { applyThroughSink, readSourceRows, syntheticReads } from '../src/repair/direct-repair';
import { SourceSnapshot } from '../src/oracle/source-snapshot';
import { redisCacheSides } from '../src/sides/redis-cache-sides';
import { openSource, type SourceHandle } from '../src/verify-sink';

/**
 * The Redis side on its own, with the real sink writing the cache: hash encoding, top-N groups, the
 * filter, and TTL (a missing value is ignored, a wrong one is not).
 */
let db: TestDatabase;
let redis: RedisClient;
let source: SourceHandle;
let sink: RedisCacheSinkConfig;
const prefix = `${uniqueName('vcache')}:`;

beforeAll(async () => {
  db = await createTestDatabase('vcache');
  await db.sql(`CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(8,2), shelf int, hidden boolean NOT NULL);
    INSERT INTO items SELECT i, CASE WHEN i = 3 THEN NULL ELSE 'item ' || i END, i * 1.5, i % 2, i = 6 FROM generate_series(1, 8) i;`);
  redis = connectRedis({ url: redisUrl() });
  const config = configSchema.parse({
    source: { postgres: { url: db.url }, tables: ['public.items'] },
    log: { redis: { url: redisUrl() } },
    sinks: [
      {
        name: 'items',
        redis: { url: redisUrl() },
        from: 'public.items',
        key: `${prefix}item:{id}`,
        namespace: `${prefix}state`,
        ttl: '1h',
        value: { format: 'hash', fields: { title: 'name', price: 'price' } },
        filter: 'hidden = false',
        queries: [{ key: `${prefix}shelf:{shelf}`, score: 'price', limit: 2 }],
      },
    ],
  });
  sink = config.sinks[0] as RedisCacheSinkConfig;
  source = openSource(config);
  const { rows } = await readSourceRows(
    source,
    'public.items',
    Array.from({ length: 8 }, (_, i) => ({ id: i + 1 })),
  );
  await applyThroughSink(createRedisCacheSink(sink), syntheticReads('public.items', rows, ['id'], 5_000_000n));
});

afterAll(async () => {
  const keys = await scanKeys(redis, `*${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await source.close();
  await db.drop();
});

async function compare() {
  const sides = redisCacheSides(sink, source);
  const snapshot = await SourceSnapshot.open(source.url);
  source.snapshot.set(snapshot);
  try {
    return { report: await compareSides(sides.expected, sides.actual, { examples: 100 }), sides };
  } finally {
    source.snapshot.set(undefined);
    await snapshot.end();
    await sides.close();
  }
}

describe('redis cache side', () => {
  it('matches what the sink wrote: hash values, filter, top-2 groups', async () => {
    const { report } = await compare();
    expect(isClean(report), JSON.stringify(report)).toBe(true);
    // 7 visible rows (item 6 hidden) + shelf 0 keeps 2 of {2,4,8}, shelf 1 keeps 2 of {1,3,5,7}
    expect(report.expectedCount).toBe(7 + 2 + 2);
    expect(await redis.hgetall(`${prefix}item:3`)).toEqual({ price: '4.50' }); // null title left out
  });

  it('with a ttl, a missing value is ignorable while a wrong one is a difference', async () => {
    await redis.del(`${prefix}item:1`);
    await redis.hset(`${prefix}item:2`, 'title', 'wrong');
    await redis.zadd(`${prefix}shelf:1`, 99, 'stranger');
    const { report, sides } = await compare();
    expect(report.missing.map((d) => d.key)).toEqual([`value ${prefix}item:1`]);
    expect(sides.ignoreMissing?.(report.missing[0].key)).toBe(true);
    expect(report.different.map((d) => d.key)).toEqual([`value ${prefix}item:2`]);
    expect(report.different[0]).toMatchObject({
      expected: { title: 'item 2', price: '3.00' },
      actual: { title: 'wrong' },
    });
    expect(report.extra.map((d) => d.key)).toEqual([`member ${JSON.stringify([`${prefix}shelf:1`, 'stranger'])}`]);
  });
});
