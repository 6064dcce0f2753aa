import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis, deadLetterCount, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import { resyncDeadLetters } from '@distributary/control';
import { createRedisCacheSink } from '@distributary/sink-redis-cache';
import { redisCacheSinkSchema } from '@distributary/config';
import {
  createTestDatabase,
  deleteNamespace,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';
import { SinkRunner } from './sink-runner';

const PARTITIONS = 2;
let db: TestDatabase;
let redis: RedisClient;
let connector: Connector;
let runner: SinkRunner;
const namespace = uniqueName('dlqr');
const prefix = uniqueName('dlqr_cache');
const keys = new LogKeys(namespace);

beforeAll(async () => {
  db = await createTestDatabase('dlqr');
  redis = connectRedis({ url: redisUrl() });
  await db.sql(`CREATE TABLE items (id int PRIMARY KEY, name text, cat int)`);
  const config = configSchema.parse({
    source: {
      postgres: { url: db.url, slot: uniqueName('slot'), publication: uniqueName('pub'), snapshot: 'never' },
      tables: ['public.items'],
      connector: { statusEvery: '500ms' },
    },
    log: { redis: { url: redisUrl() }, namespace, partitions: PARTITIONS },
  });
  connector = new Connector({ config, logger: silentLogger });
  void connector.run();
  await waitFor('the connector to lead', async () => {
    return await slotStreaming(db, config.source.postgres.slot);
  });
  const sink = createRedisCacheSink(
    redisCacheSinkSchema.parse({
      name: 'items-cache',
      redis: { url: redisUrl() },
      from: 'public.items',
      key: `${prefix}:item:{id}`,
      namespace: `${prefix}:state`,
      queries: [{ key: `${prefix}:cat:{cat}`, member: '{id}' }],
    }),
  );
  runner = new SinkRunner({
    redis,
    namespace,
    partitions: PARTITIONS,
    sinks: [sink],
    blockMs: 100,
    statusEveryMs: 200,
    backoff: { baseMs: 5, capMs: 50 },
  });
  await runner.start();
}, 60_000);

afterAll(async () => {
  await runner?.stop();
  await connector?.stop();
  const cached = await redis.keys(`*${prefix}*`);
  if (cached.length) await redis.del(...cached);
  await deleteNamespace(redis, namespace);
  redis.disconnect();
  await db?.drop();
});

const cached = async (id: number) => {
  const text = await redis.get(`${prefix}:item:${id}`);
  return text ? (JSON.parse(text) as { id: number; name: string; cat: number }) : null;
};

/**
 * `dlq replay` applies the source's current truth: dead-lettered keys are re-read by an incremental
 * snapshot, so a row truncated meanwhile is not resurrected, and a row changed meanwhile ends with
 * its current content (issue: replay re-applied the stale event and brought deleted rows back).
 */
describe('dlq replay re-syncs the dead-lettered keys from the source', () => {
  it('never resurrects a truncated row, and writes the current row of one changed meanwhile', async () => {
    await redis.set(`${prefix}:cat:9`, 'not a set'); // WRONGTYPE for every row of category 9
    await db.sql(`INSERT INTO items VALUES (400, 'gone soon', 9), (401, 'also gone', 9), (402, 'fine', 1)`);
    await waitFor('two dead letters', async () => (await deadLetterCount(redis, keys, 'items-cache')) === 2);
    expect(await cached(402)).toMatchObject({ name: 'fine' });
    expect(await cached(400)).toBeNull(); // nothing of a dead-lettered event was written

    // Meanwhile the source moves on: the table is emptied, one row comes back and is changed twice.
    await db.sql(`TRUNCATE items`);
    await db.sql(`INSERT INTO items VALUES (403, 'first', 9)`);
    await db.sql(`UPDATE items SET name = 'current' WHERE id = 403`);
    await waitFor('four dead letters', async () => (await deadLetterCount(redis, keys, 'items-cache')) === 4);
    await waitFor('the truncate applied', async () => (await cached(402)) === null);

    // The cause is fixed, then the dead letters are replayed.
    await redis.del(`${prefix}:cat:9`);
    const result = await resyncDeadLetters(runner.log, 'items-cache', { pickupMs: 20_000 });
    expect(result.replayed).toBe(4);
    expect(await deadLetterCount(redis, keys, 'items-cache')).toBe(0);
    await waitFor('the current row of 403', async () => (await cached(403))?.name === 'current');
    expect(await redis.smembers(`${prefix}:cat:9`)).toEqual(['403']);
    expect(await cached(400)).toBeNull();
    expect(await cached(401)).toBeNull();
    expect(await cached(402)).toBeNull();
  });
});
