import { compareIds, decodeEvent, idToPosition } from '@distributary/core';
import { countAfter, LAG_COUNT_CAP, type ChangeLog, type LogKeys, type RedisClient } from '@distributary/changelog';
import type { PartitionSummary, SinkPartitionLag } from '@distributary/admin-contract';

/** One partition as the admin API shows it: the change log's stats (libs/changelog stats.ts) with the
 *  stream key and nulls where the stream has no entry (or does not exist). */
export async function readPartitionStats(log: ChangeLog, partition: number): Promise<PartitionSummary> {
  const stats = await log.stats.partition(partition);
  const exists = stats.lastGeneratedId !== undefined;
  return {
    partition,
    key: log.keys.partition(partition),
    length: stats.length,
    firstId: stats.firstId ?? null,
    lastId: stats.lastId ?? null,
    entriesAdded: stats.entriesAdded,
    memoryBytes: exists ? stats.memoryBytes : null,
  };
}

/** Lag of one sink on one partition: entries after its committed ID up to the partition's last entry
 *  as `stats` saw it (so lag and append counts of one sample agree), LSN bytes, age of the oldest. */
export async function readSinkPartitionLag(
  redis: RedisClient,
  keys: LogKeys,
  stats: PartitionSummary,
  sink: string,
  now = Date.now(),
): Promise<SinkPartitionLag> {
  const committedId = await redis.hget(keys.positions(stats.partition), sink);
  const empty: SinkPartitionLag = {
    partition: stats.partition,
    committedId,
    lagEntries: 0,
    lagCapped: false,
    lagBytes: '0',
    lagSeconds: null,
  };
  if (!stats.lastId || (committedId && compareIds(committedId, stats.lastId) >= 0)) return empty;
  const start = committedId ? `(${committedId}` : '-';
  const [lagEntries, oldest] = await Promise.all([
    countAfter(redis, stats.key, committedId, stats.lastId, LAG_COUNT_CAP),
    redis.xrange(stats.key, start, stats.lastId, 'COUNT', 1),
  ]);
  if (lagEntries === 0 || oldest.length === 0) return empty;
  const [oldestId, flat] = oldest[0];
  const lastLsn = idToPosition(stats.lastId).lsn;
  const fromLsn = committedId ? idToPosition(committedId).lsn : idToPosition(oldestId).lsn;
  let lagSeconds: number | null = null;
  try {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
    const commitTs = decodeEvent(oldestId, fields).commitTs;
    const at = commitTs ? Date.parse(commitTs) : NaN;
    if (Number.isFinite(at)) lagSeconds = Math.max(0, (now - at) / 1000);
  } catch {
    lagSeconds = null;
  }
  return {
    partition: stats.partition,
    committedId,
    lagEntries,
    lagCapped: lagEntries >= LAG_COUNT_CAP,
    lagBytes: (lastLsn > fromLsn ? lastLsn - fromLsn : 0n).toString(),
    lagSeconds,
  };
}

/** Sink names that have a committed position on some partition (besides the configured ones). */
export async function sinksWithPositions(redis: RedisClient, keys: LogKeys, partitions: number): Promise<string[]> {
  const names = new Set<string>();
  const replies = await Promise.all(Array.from({ length: partitions }, (_, n) => redis.hkeys(keys.positions(n))));
  for (const reply of replies) for (const name of reply) names.add(name);
  return [...names];
}
