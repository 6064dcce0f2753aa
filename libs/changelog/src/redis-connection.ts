import Redis, { Cluster, type RedisOptions } from 'ioredis';

/** A single Redis or a Redis Cluster, as the config gives it. */
export type RedisTarget = { url: string } | { cluster: string[] };
export type RedisClient = Redis | Cluster;

/** How often a cluster client re-reads the slot map on its own. */
const SLOTS_REFRESH_MS = 5000;

export function connectRedis(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  if ('url' in target) return new Redis(target.url, { maxRetriesPerRequest: null, ...options });
  const nodes = target.cluster.map((url) => {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: Number(parsed.port || 6379) };
  });
  // A periodic slot-map refresh as well: ioredis has none by default and learns a resharding only from
  // a MOVED it handles itself — never from one inside a pipeline that partly succeeded.
  return new Cluster(nodes, {
    redisOptions: { maxRetriesPerRequest: null, ...options },
    enableReadyCheck: true,
    slotsRefreshInterval: SLOTS_REFRESH_MS,
  });
}
