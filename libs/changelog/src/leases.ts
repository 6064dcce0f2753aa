/**
 * Leases of (sink, partition): at most one worker holds one at a time (SET with TTL, owner checked in
 * Lua). Each new holder gets a fresh fencing token (HINCRBY in keys.fences(n)), which its position
 * commits carry; a holder that stops renewing loses the lease after its TTL.
 */
import type { LogKeys } from './keys';
import { luaScript } from './lua-script';
import type { RedisClient } from './redis-connection';

/** Returns the fencing token, or undefined when another owner holds the lease. */
export async function acquireLease(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partition: number,
  owner: string,
  ttlMs: number,
): Promise<number | undefined> {
  const token = await luaScript('lease-acquire').run(
    redis,
    [keys.lease(partition, sink), keys.fences(partition)],
    [owner, ttlMs, sink],
  );
  return token === null || token === undefined ? undefined : Number(token);
}

/** true when still held (and renewed); false when the lease was lost or taken over. */
export async function renewLease(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partition: number,
  owner: string,
  ttlMs: number,
  fencingToken: number,
): Promise<boolean> {
  const renewed = await luaScript('lease-renew').run(
    redis,
    [keys.lease(partition, sink), keys.fences(partition)],
    [owner, ttlMs, sink, String(fencingToken)],
  );
  return Number(renewed) === 1;
}

export async function releaseLease(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partition: number,
  owner: string,
): Promise<boolean> {
  return Number(await luaScript('lease-release').run(redis, [keys.lease(partition, sink)], [owner])) === 1;
}

/** Who holds the lease of (sink, partition) now, if anyone. */
export async function leaseHolder(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partition: number,
): Promise<string | undefined> {
  return (await redis.get(keys.lease(partition, sink))) ?? undefined;
}
