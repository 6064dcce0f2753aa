/**
 * Committed positions of (sink, partition). The fencing rule: a commit carries the fencing token of
 * the lease it was read under and is refused (FencedError) once a newer owner took the partition;
 * a committed position never goes backwards (compared in Lua, atomically with the token check).
 * Only an explicit replay (resetPosition) moves a position back, and it fences out the owner.
 */
import { FencedError, START_ID } from '@distributary/core';
import type { LogKeys } from './keys';
import { luaScript } from './lua-script';
import type { RedisClient } from './redis-connection';

export async function committedPosition(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partition: number,
): Promise<string | undefined> {
  return (await redis.hget(keys.positions(partition), sink)) ?? undefined;
}

/** How much deferred work a sink still owes after its committed positions (0 = none; see LogKeys.sinkBacklog). */
export function sinkBacklogSize(redis: RedisClient, keys: LogKeys, sink: string): Promise<number> {
  return redis.zcard(keys.sinkBacklog(sink));
}

/** A sink's committed positions over all partitions (missing = nothing committed yet). */
export async function sinkPositions(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partitions: number,
): Promise<Map<number, string>> {
  const values = await Promise.all(
    Array.from({ length: partitions }, (_, p) => committedPosition(redis, keys, sink, p)),
  );
  const result = new Map<number, string>();
  values.forEach((value, p) => {
    if (value) result.set(p, value);
  });
  return result;
}

export interface CommitResult {
  /** false when the stored position was already at or beyond `id` (nothing changed). */
  advanced: boolean;
  position: string;
}

/** Commits `id` as the sink's position in `partition` under `fencingToken`. Throws FencedError. */
export async function commitPosition(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partition: number,
  id: string,
  fencingToken: number,
): Promise<CommitResult> {
  const [status, value] = (await luaScript('commit-position').run(
    redis,
    [keys.fences(partition), keys.positions(partition)],
    [sink, String(fencingToken), id],
  )) as [string, string];
  if (status === 'FENCED') {
    throw new FencedError(
      `position commit of sink "${sink}" partition ${partition} refused: fencing token ${fencingToken} is stale ` +
        `(current ${value || 'none'}); another worker owns this partition now`,
    );
  }
  return { advanced: status === 'OK', position: value };
}

/**
 * Replay: set the sink's position in one partition to `id` (START_ID or undefined = from the start).
 * The current owner is fenced out (new token, lease removed) and re-reads from there after it
 * re-acquires the partition.
 */
export async function resetPosition(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partition: number,
  id?: string,
): Promise<void> {
  const value = !id || id === START_ID ? '' : id;
  await luaScript('position-reset').run(
    redis,
    [keys.positions(partition), keys.fences(partition), keys.lease(partition, sink)],
    [sink, value],
  );
}

/** Replay a sink from `id` in every partition (see resetPosition). */
export async function replaySinkFrom(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partitions: number,
  id?: string,
): Promise<void> {
  for (let p = 0; p < partitions; p++) await resetPosition(redis, keys, sink, p, id);
}
