import { afterAll, describe, expect, it } from 'vitest';
import { encodeEvent, formatLsn, type ChangeEvent } from '@distributary/core';
import { LogKeys, connectRedis } from '@distributary/changelog';
import { deleteNamespace, redisUrl, uniqueName } from '@distributary/testkit';
import { sinkProgress } from '@distributary/verify';

const redis = connectRedis({ url: redisUrl() });
const keys = new LogKeys(uniqueName('progress'));

afterAll(async () => {
  await deleteNamespace(redis, keys.namespace);
  redis.disconnect();
});

describe('read-your-writes progress', () => {
  it('counts a write made before the slot existed as applied only once the initial snapshot rows are', async () => {
    const snapshotLsn = 5000n;
    const rows: ChangeEvent[] = [0, 1, 2].map((seq) => ({
      pos: { lsn: snapshotLsn, seq },
      op: 'r',
      table: 'public.t',
      key: { id: seq },
      after: { id: seq },
    }));
    for (const row of rows) {
      const { id, fields } = encodeEvent(row);
      await redis.xadd(keys.partition(0), id, ...Object.entries(fields).flat());
    }
    await redis.hset(keys.connectorState(), { confirmedLsn: formatLsn(6000n) });
    await redis.hset(keys.initialSnapshot(), { status: 'running', lsn: snapshotLsn.toString() });
    const writeLsn = 4000n; // the application's commit, before the slot's consistent point
    expect((await sinkProgress(redis, keys, 'search', 1, writeLsn)).applied).toBe(false);
    await redis.hset(keys.initialSnapshot(), { status: 'done' });
    const behind = await sinkProgress(redis, keys, 'search', 1, writeLsn);
    expect(behind.applied).toBe(false);
    expect(behind.behind).toEqual([{ partition: 0, committed: undefined, nextId: '5000-0' }]);
    await redis.hset(keys.positions(0), 'search', '5000-2');
    expect((await sinkProgress(redis, keys, 'search', 1, writeLsn)).applied).toBe(true);
  });
});
