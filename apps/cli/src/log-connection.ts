import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { DistributaryConfig } from '@distributary/config';

/** A connection to the log Redis for one-shot commands: fails fast instead of retrying forever. */
export async function withLogRedis<T>(
  config: DistributaryConfig,
  fn: (redis: RedisClient, keys: LogKeys) => Promise<T>,
): Promise<T> {
  const { connectRedis, LogKeys } = await import('@distributary/changelog');
  const redis = connectRedis(config.log.redis, {
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: (attempt) => (attempt > 2 ? null : 200),
    lazyConnect: true,
  });
  redis.on('error', () => undefined); // reported through the failing command instead
  try {
    await redis.connect();
    return await fn(redis, new LogKeys(config.log.namespace));
  } finally {
    redis.disconnect();
  }
}
