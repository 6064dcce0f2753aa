import { compareIds, idToPosition } from '@distributary/core';
import { gauge } from '@distributary/observability';
import type { LogKeys } from './keys';
import type { RedisClient } from './redis-connection';

const heldBack = gauge(
  'distributary_log_retention_held_back',
  "1 when this sink's committed position holds back compaction/retention of the partition (it is close to falling off)",
  ['sink', 'partition'],
);

export interface SinkBound {
  /** false when no sink is known in this partition: nothing holds retention back. */
  bounded: boolean;
  /** Highest ID every sink has committed; undefined (when bounded) = some sink has read nothing. */
  upTo?: string;
  /** The slowest sink. */
  slowest?: string;
}

/**
 * The slowest sink's committed position in a partition: retention never removes what a sink has not
 * read yet (unless forced). `sinks` are the configured sinks: one with no position counts as
 * having read nothing. Sinks found only in the positions hash count too. A sink in the middle of a
 * transaction (the entry after its position has the same commit LSN) may still need the
 * transaction's earlier entries — a TRUNCATE ends the rows its own transaction wrote before it (the
 * worker's earlier-in-transaction.ts) — so the bound then ends before that transaction.
 */
export async function slowestSinkBound(
  redis: RedisClient,
  keys: LogKeys,
  partition: number,
  sinks: readonly string[] = [],
): Promise<SinkBound> {
  const positions = await redis.hgetall(keys.positions(partition));
  for (const sink of sinks) if (!(sink in positions)) return { bounded: true, upTo: undefined, slowest: sink };
  let bound: SinkBound = { bounded: false };
  for (const [sink, id] of Object.entries(positions)) {
    if (bound.upTo === undefined || compareIds(id, bound.upTo) < 0) bound = { bounded: true, upTo: id, slowest: sink };
  }
  if (bound.upTo !== undefined && (await inTransaction(redis, keys.partition(partition), bound.upTo)))
    bound.upTo = beforeTransactionOf(bound.upTo);
  return bound;
}

/** True when the entry after `id` belongs to the same transaction (same commit LSN). */
async function inTransaction(redis: RedisClient, stream: string, id: string): Promise<boolean> {
  const next = (await redis.xrange(stream, `(${id}`, '+', 'COUNT', 1)) as [string, string[]][];
  return next.length > 0 && idToPosition(next[0][0]).lsn === idToPosition(id).lsn;
}

/** Above any sequence within a transaction (positions hold it as a JS number), with an exact successor. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER - 1;

/** The highest ID below every entry of the transaction `id` is in (undefined: there is none). */
function beforeTransactionOf(id: string): string | undefined {
  const { lsn } = idToPosition(id);
  return lsn === 0n ? undefined : `${lsn - 1n}-${MAX_SEQ}`;
}

/** The highest ID retention may remove: the age bound, lowered to the slowest sink unless forced. */
export function retentionBound(
  byAge: string | undefined,
  sinks: SinkBound,
  force: boolean | undefined,
): string | undefined {
  if (force || !sinks.bounded) return byAge;
  return lowerBound(byAge, sinks.upTo);
}

/** min of two optional bounds where undefined means "nothing". */
export function lowerBound(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || b === undefined) return undefined;
  return compareIds(a, b) <= 0 ? a : b;
}

/** Flags (metric) the sinks that hold retention back in this partition, clears the others. */
export async function reportHeldBack(
  redis: RedisClient,
  keys: LogKeys,
  partition: number,
  wanted: string | undefined,
  sinks: readonly string[],
): Promise<string[]> {
  const positions = await redis.hgetall(keys.positions(partition));
  const names = new Set([...sinks, ...Object.keys(positions)]);
  const holding: string[] = [];
  for (const sink of names) {
    const id = positions[sink];
    const behind = wanted !== undefined && (id === undefined || compareIds(id, wanted) < 0);
    heldBack.set({ sink, partition: String(partition) }, behind ? 1 : 0);
    if (behind) holding.push(sink);
  }
  return holding;
}
