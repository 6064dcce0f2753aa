import { canonicalKey, decodeEvent, type ChangeEvent, type Row } from '@distributary/core';
import type { RedisClient } from './redis-connection';

/**
 * The latest logged event of one key strictly before `beforeId` in a partition stream, scanning
 * backwards at most `maxScan` entries (XREVRANGE, exclusive end). Undefined when not found in range.
 */
export async function findLatestEventOfKey(
  redis: RedisClient,
  stream: string,
  table: string,
  key: Row,
  beforeId: string,
  maxScan = 2000,
  pageSize = 200,
): Promise<ChangeEvent | undefined> {
  const wanted = canonicalKey(table, key);
  let end = `(${beforeId}`;
  let scanned = 0;
  while (scanned < maxScan) {
    const page = await redis.xrevrange(stream, end, '-', 'COUNT', Math.min(pageSize, maxScan - scanned));
    if (page.length === 0) return undefined;
    for (const [id, flat] of page) {
      const fields: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
      if (fields.k === wanted) return decodeEvent(id, fields);
    }
    scanned += page.length;
    end = `(${page[page.length - 1][0]}`;
  }
  return undefined;
}
