import { Cluster } from 'ioredis';
import type { RedisClient } from '@distributary/changelog';

/**
 * How durable an acknowledged write is on the cache Redis, read from its persistence settings.
 * `aof-always`: on disk when acknowledged; `aof-everysec`: up to ~1 s can be lost on a crash (the
 * worker has already committed positions by then, so those keys stay stale until written again);
 * `none`: lost with the process; `unknown`: CONFIG is not allowed (managed Redis). Redis 7.0 has no
 * WAITAOF, so the sink reports this instead of waiting for fsync.
 */
export type CacheDurability = 'aof-always' | 'aof-everysec' | 'none' | 'unknown';

export async function cacheDurability(client: RedisClient): Promise<CacheDurability> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const levels = await Promise.all(nodes.map(nodeDurability));
  const order: CacheDurability[] = ['unknown', 'none', 'aof-everysec', 'aof-always'];
  return levels.reduce((worst, level) => (order.indexOf(level) < order.indexOf(worst) ? level : worst), 'aof-always');
}

async function nodeDurability(node: RedisClient): Promise<CacheDurability> {
  try {
    const [, appendonly] = (await node.config('GET', 'appendonly')) as string[];
    if (appendonly !== 'yes') return 'none';
    const [, fsync] = (await node.config('GET', 'appendfsync')) as string[];
    return fsync === 'always' ? 'aof-always' : 'aof-everysec';
  } catch {
    return 'unknown';
  }
}
