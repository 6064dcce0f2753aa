import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, LogKeys, type RedisClient } from '@distributary/changelog';
import { deleteNamespace, redisUrl, uniqueName } from '@distributary/testkit';
import { loggedCommitLsn } from '../src/plan/log-floor';
import { CommittedFloor, LookupCache } from '../src/plan/lookup-cache';

/** The lookup cache's floor raised by the log's transaction markers (real Redis). */
const redis: RedisClient = connectRedis({ url: redisUrl() });
const namespace = uniqueName('h24_floor');
const keys = new LogKeys(namespace);

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('lookup floor from the log', () => {
  it('is the newest commit LSN with a transaction marker; none without markers', async () => {
    const newest = loggedCommitLsn(redis, namespace);
    expect(await newest()).toBeUndefined();
    await redis.xadd(keys.transactions(), '5000-0', 't', 'begin', 'e', '{}');
    await redis.xadd(keys.transactions(), '5000-1', 't', 'commit', 'e', '{}');
    await redis.xadd(keys.transactions(), '7000-1', 't', 'commit', 'e', '{}');
    expect(await newest()).toBe(7000);
  });

  it('raises the floor in the background, so cached lookups serve versions up to it', async () => {
    const floor = new CommittedFloor(loggedCommitLsn(redis, namespace), 0);
    floor.observe(100);
    expect(floor.value).toBe(100);
    floor.refresh();
    await until(() => floor.value === 7000);
    expect(floor.value).toBe(7000);
    const cache = new LookupCache();
    cache.put('category', '["1"]', [{ id: 1, name: 'fruit' }], floor.value);
    expect(cache.get('category', '["1"]', 7000)).toEqual([{ id: 1, name: 'fruit' }]);
    expect(cache.get('category', '["1"]', 7001)).toBeUndefined(); // a newer version reads again
    // a lower value from the source never lowers the floor
    floor.observe(50);
    expect(floor.value).toBe(7000);
  });
});
