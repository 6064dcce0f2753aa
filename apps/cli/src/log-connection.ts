import type { ChangeLog, LogKeys, RedisClient } from '@distributary/changelog';
import type { DistributaryConfig } from '@distributary/config';

const CONNECT_TIMEOUT_MS = 5000;

/** A connection to the log Redis for one-shot commands: fails fast instead of retrying forever. */
export async function withLogRedis<T>(
  config: DistributaryConfig,
  fn: (redis: RedisClient, keys: LogKeys, log: ChangeLog) => Promise<T>,
): Promise<T> {
  const { ChangeLog, connectRedis, LogKeys } = await import('@distributary/changelog');
  const redis = connectRedis(config.log.redis, {
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => (attempt > 2 ? null : 200),
    lazyConnect: true,
  });
  let lastError = '';
  redis.on('error', (error: unknown) => {
    lastError = error instanceof Error ? error.message : String(error); // reported if it never gets ready
  });
  try {
    await untilReady(redis, CONNECT_TIMEOUT_MS, () => lastError);
    const keys = new LogKeys(config.log.namespace);
    return await fn(redis, keys, new ChangeLog(redis, keys, config.log.partitions));
  } finally {
    redis.disconnect();
  }
}

/**
 * Resolves once the client is ready. A single Redis built with lazyConnect waits in 'wait' for
 * connect(); a Cluster client starts connecting at once (lazyConnect is a per-node option there), and
 * calling connect() on it then fails with "already connecting" — so wait for its 'ready' instead,
 * failing after `timeoutMs` or when the client gives up ('end').
 */
export function untilReady(redis: RedisClient, timeoutMs: number, lastError: () => string): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'wait') return redis.connect();
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      if (error) reject(error);
      else resolve();
    };
    const onReady = (): void => settle();
    const onEnd = (): void => settle(new Error(`connection closed${lastError() ? `: ${lastError()}` : ''}`));
    const timer = setTimeout(
      () => settle(new Error(`not ready after ${timeoutMs} ms${lastError() ? `: ${lastError()}` : ''}`)),
      timeoutMs,
    );
    redis.once('ready', onReady);
    redis.once('end', onEnd);
  });
}

/**
 * For `run` at start-up: the log Redis may be restarting (or still starting, e.g. in a pod that came up
 * first). Retries with exponential backoff and full jitter, saying so on stderr, for up to `forMs`.
 */
export async function withLogRedisPatiently<T>(
  config: DistributaryConfig,
  fn: (redis: RedisClient, keys: LogKeys, log: ChangeLog) => Promise<T>,
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
