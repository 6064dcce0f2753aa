import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareIds, decodeEvent, idToPosition } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { PartitionStats, SinkPartitionLag } from './types';

/**
 * Read-only statistics of the change log, straight from the documented key layout (keys.ts):
 * partition streams, per-sink committed positions. Lag in entries is counted server-side up to a cap,
 * so a far-behind sink costs a bounded amount of Redis work per sample.
 */
export const LAG_COUNT_CAP = 10_000;
const countAfterScript = readFileSync(join(__dirname, '..', 'lua', 'count-after.lua'), 'utf8');
const countAfterSha = createHash('sha1').update(countAfterScript).digest('hex');

function pairs(reply: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (!Array.isArray(reply)) return map;
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), reply[i + 1]);
  return map;
}

function entryId(entry: unknown): string | null {
  return Array.isArray(entry) && typeof entry[0] === 'string' ? entry[0] : null;
}

export async function readPartitionStats(
  redis: RedisClient,
  keys: LogKeys,
  partition: number,
): Promise<PartitionStats> {
  const key = keys.partition(partition);
  const exists = await redis.exists(key);
  if (!exists) return { partition, key, length: 0, firstId: null, lastId: null, entriesAdded: 0, memoryBytes: null };
  const [info, memory] = await Promise.all([
    redis.xinfo('STREAM', key) as Promise<unknown>,
    redis.call('MEMORY', 'USAGE', key) as Promise<number | null>,
  ]);
  const fields = pairs(info);
  return {
    partition,
    key,
    length: Number(fields.get('length') ?? 0),
    firstId: entryId(fields.get('first-entry')),
    lastId: entryId(fields.get('last-entry')),
    entriesAdded: Number(fields.get('entries-added') ?? fields.get('length') ?? 0),
    memoryBytes: memory === null ? null : Number(memory),
  };
}

export async function countAfter(
  redis: RedisClient,
  stream: string,
  afterId: string | null,
  upToId: string | null,
  cap: number,
): Promise<number> {
  const args = [afterId ? `(${afterId}` : '-', upToId ?? '+', String(cap)];
  try {
    return Number(await redis.evalsha(countAfterSha, 1, stream, ...args));
  } catch (error) {
    if (!(error instanceof Error && error.message.includes('NOSCRIPT'))) throw error;
    return Number(await redis.eval(countAfterScript, 1, stream, ...args));
  }
}

/** Lag of one sink on one partition: entries after its committed ID up to the partition's last entry
 *  as `stats` saw it (so lag and append counts of one sample agree), LSN bytes, age of the oldest. */
export async function readSinkPartitionLag(
  redis: RedisClient,
  keys: LogKeys,
  stats: PartitionStats,
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
