import Redis, { Cluster, type RedisOptions } from 'ioredis';

/** A single Redis or a Redis Cluster, as the config gives it. */
export type RedisTarget = { url: string } | { cluster: string[] };
export type RedisClient = Redis | Cluster;

export function connectRedis(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  if ('url' in target) return new Redis(target.url, { maxRetriesPerRequest: null, ...options });
  const nodes = target.cluster.map((url) => {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: Number(parsed.port || 6379) };
  });
  return new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: null, ...options }, enableReadyCheck: true });
}
