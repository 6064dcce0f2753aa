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

/**
 * For `run` at start-up: the log Redis may be restarting (or still starting, e.g. in a pod that came up
 * first). Retries with exponential backoff and full jitter, saying so on stderr, for up to `forMs`.
 */
export async function withLogRedisPatiently<T>(
  config: DistributaryConfig,
  fn: (redis: RedisClient, keys: LogKeys) => Promise<T>,
  forMs = 120_000,
): Promise<T> {
  const { backoffDelay, sleep } = await import('@distributary/core');
  const deadline = Date.now() + forMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await withLogRedis(config, fn);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      const delay = backoffDelay(attempt, { baseMs: 250, capMs: 5000 });
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`log Redis not reachable (${message}); retrying in ${delay} ms\n`);
      await sleep(delay);
    }
  }
}
