/**
 * Entry IDs carry LSNs, not times. To know how old an entry is, each maintenance pass records a
 * checkpoint (server time, last entry ID) per partition: every entry at or below the ID of a
 * checkpoint taken at time T was appended before T. "Older than X" is therefore answered
 * conservatively (never younger than claimed), which is what minLag and retention need.
 */
import type { LogKeys } from './keys';
import { luaScript } from './lua-script';
import type { RedisClient } from './redis-connection';

/** Records a checkpoint and returns the server time (ms) and the partition's last entry ID. */
export async function recordCheckpoint(
  redis: RedisClient,
  keys: LogKeys,
  partition: number,
  keepMs: number,
): Promise<{ now: number; lastId?: string }> {
  const [now, lastId] = (await luaScript('clock-checkpoint').run(
    redis,
    [keys.partition(partition), keys.clock(partition)],
    [Math.max(0, Math.floor(keepMs))],
  )) as [string, string];
  return { now: Number(now), lastId: lastId && lastId !== '0-0' ? lastId : undefined };
}

/** The highest entry ID known to have been appended at least `ageMs` before `now`, if any. */
export async function lastIdOlderThan(
  redis: RedisClient,
  keys: LogKeys,
  partition: number,
  now: number,
  ageMs: number,
): Promise<string | undefined> {
  const found = await redis.zrevrangebyscore(keys.clock(partition), now - ageMs, '-inf', 'LIMIT', 0, 1);
  if (found.length === 0) return undefined;
  return found[0].slice(found[0].indexOf(':') + 1);
}
