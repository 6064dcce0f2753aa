import { fnv1a32 } from '@distributary/core';
import type { LogKeys } from './keys';
import { luaScript } from './lua-script';
import type { RedisClient } from './redis-connection';

/** Heartbeats `workerId` (server clock) and returns the live members, sorted. */
export async function heartbeatMember(
  redis: RedisClient,
  keys: LogKeys,
  workerId: string,
  memberTtlMs: number,
): Promise<string[]> {
  return (await luaScript('membership-heartbeat').run(redis, [keys.workers()], [workerId, memberTtlMs])) as string[];
}

export async function leaveMembership(redis: RedisClient, keys: LogKeys, workerId: string): Promise<void> {
  await redis.zrem(keys.workers(), workerId);
}

/** Heartbeats `workerId` as opening its sinks (not a member: nothing is assigned to it yet). */
export async function heartbeatOpening(
  redis: RedisClient,
  keys: LogKeys,
  workerId: string,
  ttlMs: number,
): Promise<void> {
  await luaScript('membership-heartbeat').run(redis, [keys.workersOpening()], [workerId, ttlMs]);
}

export async function leaveOpening(redis: RedisClient, keys: LogKeys, workerId: string): Promise<void> {
  await redis.zrem(keys.workersOpening(), workerId);
  await redis.del(keys.workerOpeningTrouble(workerId));
}

/** Why a worker still opening its sinks has not joined: its last failed open (for `status`). */
export interface OpeningTrouble {
  sink: string;
  error: string;
  attempts: number;
  /** When this sink's opens began to fail (ms). */
  since: number;
}

/** Records a worker's last failed open; it expires with the worker (`ttlMs`, kept 3 heartbeats long). */
export async function reportOpeningTrouble(
  redis: RedisClient,
  keys: LogKeys,
  workerId: string,
  trouble: OpeningTrouble,
  ttlMs: number,
): Promise<void> {
  await redis.set(keys.workerOpeningTrouble(workerId), JSON.stringify(trouble), 'PX', Math.max(1000, ttlMs * 3));
}

/** The workers still opening their sinks (alive within `ttlMs`), each with its last failed open if any. */
export async function openingStatuses(
  redis: RedisClient,
  keys: LogKeys,
  ttlMs: number,
): Promise<{ workerId: string; trouble?: OpeningTrouble }[]> {
  const ids = await openingWorkers(redis, keys, ttlMs);
  if (ids.length === 0) return [];
  const texts = await redis.mget(...ids.map((id) => keys.workerOpeningTrouble(id)));
  return ids.map((workerId, i) => {
    const text = texts[i];
    return text ? { workerId, trouble: JSON.parse(text) as OpeningTrouble } : { workerId };
  });
}

/** The workers that heartbeated as opening within `ttlMs` (server clock), sorted. */
export async function openingWorkers(redis: RedisClient, keys: LogKeys, ttlMs: number): Promise<string[]> {
  const [seconds, micros] = await redis.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  return (await redis.zrangebyscore(keys.workersOpening(), now - ttlMs, '+inf')).sort();
}

/**
 * Deterministic assignment every live member computes alike: sorted round-robin per sink, rotated by
 * a hash of the sink name so that different sinks' partition 0 land on different workers.
 * Returns the worker that should own (sink, partition).
 */
export function assignedOwner(members: readonly string[], sink: string, partition: number): string | undefined {
  if (members.length === 0) return undefined;
  const sorted = [...members].sort();
  return sorted[(partition + (fnv1a32(sink) % sorted.length)) % sorted.length];
}

/** The (sink, partition) pairs `workerId` should own, given the live members. */
export function assignmentFor(
  members: readonly string[],
  workerId: string,
  sinks: readonly string[],
  partitions: number,
): { sink: string; partition: number }[] {
  const owned: { sink: string; partition: number }[] = [];
  for (const sink of sinks) {
    for (let p = 0; p < partitions; p++) {
      if (assignedOwner(members, sink, p) === workerId) owned.push({ sink, partition: p });
    }
  }
  return owned;
}
