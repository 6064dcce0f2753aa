import type { LogKeys } from './keys';
import type { RedisClient } from './redis-connection';

/** Pause a sink on every worker (they stop reading for it at their next ownership tick). */
export async function pauseSink(redis: RedisClient, keys: LogKeys, sink: string): Promise<void> {
  await redis.sadd(keys.pausedSinks(), sink);
}

export async function resumeSink(redis: RedisClient, keys: LogKeys, sink: string): Promise<void> {
  await redis.srem(keys.pausedSinks(), sink);
}

export async function pausedSinks(redis: RedisClient, keys: LogKeys): Promise<string[]> {
  return (await redis.smembers(keys.pausedSinks())).sort();
}

/** What a worker publishes about itself (the worker's SinkRunner, libs/worker, writes it; CLI and admin read it). */
export interface WorkerStatus {
  workerId: string;
  host: string;
  pid: number;
  startedAt: string;
  updatedAt: string;
  /** Owned (sink, partition) pairs with their fencing token and last committed position. */
  owned: {
    sink: string;
    partition: number;
    fencingToken: number;
    position?: string;
    state: string;
    /** Set while a step is retried: since when (ISO), the step and the last error. */
    retrying?: { since: string; step: string; error: string };
    /** Retrying for longer than the worker's bound (degradedAfterMs). */
    degraded?: boolean;
  }[];
  pausedSinks: string[];
  members: string[];
}

/** Stored as a hash (scalar fields as text, lists as JSON) that expires unless refreshed. */
export async function writeWorkerStatus(
  redis: RedisClient,
  keys: LogKeys,
  status: WorkerStatus,
  ttlMs: number,
): Promise<void> {
  const key = keys.workerStatus(status.workerId);
  await redis
    .multi()
    .del(key)
    .hset(key, {
      workerId: status.workerId,
      host: status.host,
      pid: String(status.pid),
      startedAt: status.startedAt,
      updatedAt: status.updatedAt,
      owned: JSON.stringify(status.owned),
      pausedSinks: JSON.stringify(status.pausedSinks),
      members: JSON.stringify(status.members),
    })
    .pexpire(key, ttlMs)
    .exec();
}

export async function readWorkerStatus(
  redis: RedisClient,
  keys: LogKeys,
  workerId: string,
): Promise<WorkerStatus | undefined> {
  const hash = await redis.hgetall(keys.workerStatus(workerId));
  if (!hash.workerId) return undefined;
  return {
    workerId: hash.workerId,
    host: hash.host,
    pid: Number(hash.pid),
    startedAt: hash.startedAt,
    updatedAt: hash.updatedAt,
    owned: JSON.parse(hash.owned ?? '[]') as WorkerStatus['owned'],
    pausedSinks: JSON.parse(hash.pausedSinks ?? '[]') as string[],
    members: JSON.parse(hash.members ?? '[]') as string[],
  };
}

/** Status of the live workers (members of the membership set with a fresh status hash). */
export async function readWorkerStatuses(redis: RedisClient, keys: LogKeys): Promise<WorkerStatus[]> {
  const members = await redis.zrange(keys.workers(), 0, -1);
  const statuses: WorkerStatus[] = [];
  for (const member of members) {
    const status = await readWorkerStatus(redis, keys, member);
    if (status) statuses.push(status);
  }
  return statuses;
}
