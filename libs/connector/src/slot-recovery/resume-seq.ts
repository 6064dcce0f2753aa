import { idToPosition, type Lsn } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';

/**
 * The first seq at `lsn` that no partition of the log holds yet.
 *
 * Why: an append of an ID not above a partition's top is taken as a duplicate and skipped (see
 * append-batch.lua). A process killed between appending a chunk of snapshot rows (or reconcile
 * deletes) at the consistent point and recording the seq counter leaves entries above the recorded
 * seq; resuming from the recorded seq would give *other* rows those same IDs, and they would be
 * skipped silently — rows missing from the log, and then deleted by the re-sync's reconciliation.
 * Resuming from here gives every row a fresh ID.
 */
export async function nextFreeSeq(redis: RedisClient, keys: LogKeys, partitions: number, lsn: Lsn): Promise<number> {
  let next = 0;
  for (let p = 0; p < partitions; p++) {
    const [top] = (await redis.xrevrange(keys.partition(p), '+', '-', 'COUNT', 1)) as [string, string[]][];
    if (!top) continue;
    const position = idToPosition(top[0]);
    if (position.lsn === lsn) next = Math.max(next, position.seq + 1);
  }
  return next;
}

/** Before resuming an interrupted initial snapshot: moves its recorded seq past every entry already at its LSN. */
export async function skipAppendedSeqs(redis: RedisClient, keys: LogKeys, partitions: number): Promise<void> {
  const record = await redis.hgetall(keys.initialSnapshot());
  if (record.status !== 'running' || !record.lsn) return;
  const free = await nextFreeSeq(redis, keys, partitions, BigInt(record.lsn));
  if (free > Number(record.seq ?? 0)) await redis.hset(keys.initialSnapshot(), 'seq', String(free));
}
