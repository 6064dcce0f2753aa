import { compareIds } from '@distributary/core';
import { ChangeLog, type LogKeys, type RedisClient } from '@distributary/changelog';

/** The last entry ID of every non-empty partition: where a drained sink's positions must be. */
export async function partitionEnds(
  redis: RedisClient,
  keys: LogKeys,
  partitions: number,
): Promise<Map<number, string>> {
  const ends = new Map<number, string>();
  const log = new ChangeLog(redis, keys, partitions);
  for (let p = 0; p < partitions; p++) {
    const stats = await log.stats.partition(p);
    if (stats.lastId) ends.set(p, stats.lastId);
  }
  return ends;
}

/** True when the sink's committed position is at (or past) `ends` in every partition and no fan-out
 *  pass of it is pending (a joined Elasticsearch sink re-indexes lookup changes in the background). */
export async function sinkAtEnds(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partitions: number,
  ends: Map<number, string>,
): Promise<boolean> {
  const log = new ChangeLog(redis, keys, partitions);
  const positions = await log.positions.ofSink(sink);
  for (const [p, last] of ends) {
    const at = positions.get(p);
    if (!at || compareIds(at, last) < 0) return false;
  }
  return (await log.positions.backlog(sink)) === 0;
}

export async function sinkStarted(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partitions: number,
): Promise<boolean> {
  return (await new ChangeLog(redis, keys, partitions).positions.ofSink(sink)).size > 0;
}

export async function logEntries(redis: RedisClient, keys: LogKeys, partitions: number): Promise<number> {
  let total = 0;
  for (let p = 0; p < partitions; p++) total += await redis.xlen(keys.partition(p));
  return total;
}
