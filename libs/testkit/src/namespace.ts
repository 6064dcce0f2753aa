import { Cluster, type Redis } from 'ioredis';

/** Deletes every key of a test namespace (all its hash tags), on a single Redis or every cluster master. */
export async function deleteNamespace(redis: Redis | Cluster, namespace: string): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `{${namespace}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of found) await redis.del(key);
    } while (cursor !== '0');
  }
}
