import { afterAll, describe, expect, it } from 'vitest';
import { FencedError, type ChangeEvent } from '@distributary/core';
import { deleteNamespace, redisUrl, uniqueName } from '@distributary/testkit';
import {
  LogKeys,
  acquireLease,
  appendDeadLetter,
  committedPosition,
  connectRedis,
  deadLetterCount,
  leaseHolder,
} from '@distributary/changelog';
import { commitPosition } from './positions';
import { forgetSinkState } from './forget-sink-state';

const redis = connectRedis({ url: redisUrl() });
const namespace = uniqueName('forget');
const keys = new LogKeys(namespace);

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

const event: ChangeEvent = {
  pos: { lsn: 5n, seq: 1 },
  op: 'c',
  table: 'public.t',
  key: { id: '1' },
  after: { id: '1' },
};

describe('forgetSinkState', () => {
  it("drops a removed sink's positions, lease and dead letters and fences its owner out for good", async () => {
    const tokens: number[] = [];
    for (const p of [0, 1]) {
      const token = await acquireLease(redis, keys, 'gone', p, 'w1', 60_000);
      tokens.push(token!);
      await commitPosition(redis, keys, 'gone', p, '5-1', token!);
    }
    await acquireLease(redis, keys, 'kept', 0, 'w1', 60_000).then((t) =>
      commitPosition(redis, keys, 'kept', 0, '7-0', t!),
    );
    await appendDeadLetter(redis, keys, 'gone', 0, event, 'bad value');

    await forgetSinkState(redis, keys, 'gone', 2);

    for (const p of [0, 1]) {
      expect(await committedPosition(redis, keys, 'gone', p)).toBeUndefined();
      expect(await leaseHolder(redis, keys, 'gone', p)).toBeUndefined();
      // The old owner can never commit again, and a new owner gets a newer token (none reused).
      await expect(commitPosition(redis, keys, 'gone', p, '6-0', tokens[p])).rejects.toBeInstanceOf(FencedError);
      expect(await acquireLease(redis, keys, 'gone', p, 'w2', 60_000)).toBeGreaterThan(tokens[p]);
    }
    expect(await deadLetterCount(redis, keys, 'gone')).toBe(0);
    expect(await committedPosition(redis, keys, 'kept', 0)).toBe('7-0');
  });
});
