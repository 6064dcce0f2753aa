/**
 * Each role process (`run --only <role>`, or a role's process under `run`) publishes its pid and
 * memory to the log Redis every few seconds, in the hash LogKeys.processes(); `distributary status`
 * shows the fresh ones. Best effort: a Redis hiccup skips a beat, never fails the role.
 */
import { hostname } from 'node:os';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { DistributaryConfig } from '@distributary/config';

export const PROCESS_STATUS_EVERY_MS = 5000;
/** Entries not refreshed for this long belong to processes that are gone (status hides them). */
export const PROCESS_STATUS_STALE_MS = 4 * PROCESS_STATUS_EVERY_MS;
const PRUNE_AFTER_MS = 60_000;

export interface ProcessStatus {
  role: string;
  host: string;
  pid: number;
  /** The pid of `distributary run` when the role runs under it (one process per role). */
  supervisorPid?: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  startedAt: string;
  updatedAt: string;
}

export function currentProcessStatus(role: string, startedAt: string, supervisorPid?: number): ProcessStatus {
  const memory = process.memoryUsage();
  return {
    role,
    host: hostname(),
    pid: process.pid,
    ...(supervisorPid ? { supervisorPid } : {}),
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
    startedAt,
    updatedAt: new Date().toISOString(),
  };
}

/** Publishes this process's status until stopped; stop() removes it. */
export async function publishProcessStatus(
  config: DistributaryConfig,
  role: string,
  supervisorPid?: number,
): Promise<{ stop(): Promise<void> }> {
  const { connectRedis, LogKeys } = await import('@distributary/changelog');
  const redis = connectRedis(config.log.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // best effort: the next beat tries again
  const keys = new LogKeys(config.log.namespace);
  const field = `${hostname()}:${process.pid}`;
  const startedAt = new Date().toISOString();
  let beats = 0;
  const beat = async (): Promise<void> => {
    const status = currentProcessStatus(role, startedAt, supervisorPid);
    await redis.hset(keys.processes(), field, JSON.stringify(status));
    if (beats++ % 12 === 0) await pruneStale(redis, keys);
  };
  const tick = (): void => void beat().catch(() => undefined);
  tick();
  const timer = setInterval(tick, PROCESS_STATUS_EVERY_MS).unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await redis.hdel(keys.processes(), field).catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** The processes that published recently, by host, then pid. */
export async function readProcessStatuses(redis: RedisClient, keys: LogKeys): Promise<ProcessStatus[]> {
  const entries = await redis.hgetall(keys.processes());
  const now = Date.now();
  return Object.values(entries)
    .map((text) => JSON.parse(text) as ProcessStatus)
    .filter((status) => now - Date.parse(status.updatedAt) < PROCESS_STATUS_STALE_MS)
    .sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid);
}

async function pruneStale(redis: RedisClient, keys: LogKeys): Promise<void> {
  const entries = await redis.hgetall(keys.processes());
  const now = Date.now();
  const stale = Object.entries(entries)
    .filter(([, text]) => now - Date.parse((JSON.parse(text) as ProcessStatus).updatedAt) > PRUNE_AFTER_MS)
    .map(([field]) => field);
  if (stale.length) await redis.hdel(keys.processes(), ...stale);
}
