import { Cluster } from 'ioredis';
import type { RedisClient } from '@distributary/changelog';

/** Every key matching a glob pattern, on a single Redis or across all masters of a cluster. */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for await (const page of scanKeyPages(client, pattern)) found.push(...page);
  return found;
}

/**
 * The keys matching a glob pattern, one SCAN reply at a time (memory: one page, whatever the number
 * of keys). SCAN's guarantee holds: every key present for the whole scan is returned (possibly twice).
 */
export async function* scanKeyPages(client: RedisClient, pattern: string): AsyncGenerator<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) yield keys;
      cursor = next;
    } while (cursor !== '0');
  }
}
