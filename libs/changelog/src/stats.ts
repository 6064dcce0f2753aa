import { START_ID, idToPosition } from '@distributary/core';
import type { LogKeys } from './keys';
import { luaScript } from './lua-script';
import { readPartition } from './reader';
import type { RedisClient } from './redis-connection';

export interface PartitionStats {
  partition: number;
  length: number;
  firstId?: string;
  lastId?: string;
  /** Highest ID ever appended (stays after compaction removed the last entry). */
  lastGeneratedId?: string;
  /** Entries ever appended (XINFO entries-added): survives compaction, so rates can be derived. */
  entriesAdded: number;
  memoryBytes: number;
}

export interface SinkLag {
  sink: string;
  partition: number;
  committed?: string;
  /** Entries after the committed position (counted up to `LAG_COUNT_CAP`; `capped` says so). */
  entries: number;
  capped: boolean;
  /** Last entry's LSN − committed LSN. */
  bytes: string;
  /** Age of the oldest unapplied event (from its commitTs); 0 when caught up. */
  seconds: number;
}

/** Lag in entries is counted server-side up to this cap, so a far-behind sink costs bounded Redis work. */
export const LAG_COUNT_CAP = 10_000;

function pairs(reply: unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), reply[i + 1]);
  return map;
}

export async function partitionStats(redis: RedisClient, keys: LogKeys, partition: number): Promise<PartitionStats> {
  const stream = keys.partition(partition);
  if (!(await redis.exists(stream))) return { partition, length: 0, entriesAdded: 0, memoryBytes: 0 };
  const info = pairs((await redis.call('XINFO', 'STREAM', stream)) as unknown[]);
  const first = info.get('first-entry') as [string, string[]] | null;
  const last = info.get('last-entry') as [string, string[]] | null;
  return {
    partition,
    length: Number(info.get('length') ?? 0),
    firstId: first?.[0],
    lastId: last?.[0],
    lastGeneratedId: String(info.get('last-generated-id') ?? ''),
    entriesAdded: Number(info.get('entries-added') ?? info.get('length') ?? 0),
    memoryBytes: Number((await redis.memory('USAGE', stream)) ?? 0),
  };
}

export async function logStats(redis: RedisClient, keys: LogKeys, partitions: number): Promise<PartitionStats[]> {
  return Promise.all(Array.from({ length: partitions }, (_, p) => partitionStats(redis, keys, p)));
}

/**
 * Entries of a stream after `afterId` (exclusive; from the start when null) up to `upToId` (inclusive; to
 * the end when null), counted server-side up to `cap` without sending them (lua/count-after.lua).
 */
export async function countAfter(
  redis: RedisClient,
  stream: string,
  afterId: string | null,
  upToId: string | null,
  cap: number,
): Promise<number> {
  const args = [afterId ? `(${afterId}` : '-', upToId ?? '+', String(cap)];
  return Number(await luaScript('count-after').run(redis, [stream], args));
}

/** Lag of one sink in one partition, from its committed position (or `committed` if given). Entries are
 *  counted server-side up to `countCap` (keep it small for frequent calls). */
export async function sinkLag(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partition: number,
  committed?: string,
  countCap = LAG_COUNT_CAP,
): Promise<SinkLag> {
  const position = committed ?? (await redis.hget(keys.positions(partition), sink)) ?? undefined;
  const stream = keys.partition(partition);
  const from = position ?? START_ID;
  const last = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
  const ahead = await readPartition(redis, keys, partition, from, { count: 1 });
  if (ahead.length === 0 || last.length === 0) {
    return { sink, partition, committed: position, entries: 0, capped: false, bytes: '0', seconds: 0 };
  }
  const entries = await countAfter(redis, stream, from, null, countCap);
  const lastLsn = idToPosition(last[0][0]).lsn;
  const committedLsn = position ? idToPosition(position).lsn : 0n;
  const commitTs = ahead[0].event.commitTs;
  return {
    sink,
    partition,
    committed: position,
    entries,
    capped: entries >= countCap,
    bytes: (lastLsn > committedLsn ? lastLsn - committedLsn : 0n).toString(),
    seconds: commitTs ? Math.max(0, (Date.now() - Date.parse(commitTs)) / 1000) : 0,
  };
}

/** Lag of one sink in every partition. */
export async function sinkLags(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partitions: number,
): Promise<SinkLag[]> {
  return Promise.all(Array.from({ length: partitions }, (_, p) => sinkLag(redis, keys, sink, p)));
}
