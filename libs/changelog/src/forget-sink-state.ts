import type { LogKeys } from './keys';
import { replaySinkFrom } from './positions';
import type { RedisClient } from './redis-connection';

/**
 * A removed sink's log state, dropped so nothing waits for it any more: in every partition its
 * committed position is removed and its owner fenced out (position-reset.lua: a new fencing token,
 * the lease deleted), then its dead letters are deleted. The fencing token stays: a worker still
 * holding the old lease can never commit again, and a sink later added under the same name gets
 * newer tokens, never a reused one.
 */
export async function forgetSinkState(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partitions: number,
): Promise<void> {
  await replaySinkFrom(redis, keys, sink, partitions);
  await redis.del(keys.deadLetters(sink));
}
