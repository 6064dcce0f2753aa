import type { Pool } from 'pg';
import { compareIds, formatLsn, parseLsn, positionToId, type Lsn } from '@distributary/core';
import { ChangeLog, LogKeys, type RedisClient } from '@distributary/changelog';

export interface SinkProgress {
  sink: string;
  lsn: string;
  applied: boolean;
  connectorConfirmedLsn?: string;
  /** Partitions still holding entries below L that the sink has not applied, with its position there. */
  behind: { partition: number; committed?: string; nextId: string }[];
}

export interface ProgressOptions {
  /** The slot's confirmed_flush_lsn read from the source (see slotConfirmedLsn), fresher than the status hash. */
  sourceConfirmed?: () => Promise<Lsn | undefined>;
}

/**
 * Read-your-writes: a sink has applied everything up to source LSN L when (1) the connector has
 * confirmed L — every change committed before L is in the log — and (2) in every partition, no entry
 * below L lies beyond the sink's committed position. A write committed before the slot's consistent
 * point reaches the log only as an initial-snapshot row at that point (which may be above L): then the
 * initial snapshot must be complete and every entry up to its point applied.
 */
export async function sinkProgress(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partitions: number,
  lsn: Lsn,
  options: ProgressOptions = {},
): Promise<SinkProgress> {
  const log = new ChangeLog(redis, keys, partitions);
  const state = await log.connector.read();
  const published = state.confirmedLsn ? parseLsn(state.confirmedLsn) : 0n;
  // The status hash is refreshed every connector.statusEvery; the slot itself knows sooner.
  const fromSlot = (await options.sourceConfirmed?.()) ?? 0n;
  const confirmed = fromSlot > published ? fromSlot : published;
  const positions = await log.positions.ofSink(sink);
  const initial = await redis.hgetall(keys.initialSnapshot());
  const snapshotLsn = initial.lsn ? BigInt(initial.lsn) : undefined;
  const coveredBySnapshot = snapshotLsn !== undefined && snapshotLsn >= lsn;
  const snapshotPending = coveredBySnapshot && initial.status !== 'done';
  const bound = positionToId({ lsn: coveredBySnapshot ? snapshotLsn + 1n : lsn, seq: 0 });
  const behind: SinkProgress['behind'] = [];
  await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      const committed = positions.get(p);
      const start = committed ? `(${committed}` : '-';
      const next = (await redis.xrange(keys.partition(p), start, '+', 'COUNT', 1)) as [string, string[]][];
      const nextId = next[0]?.[0];
      if (nextId && compareIds(nextId, bound) < 0) behind.push({ partition: p, committed, nextId });
    }),
  );
  behind.sort((a, b) => a.partition - b.partition);
  // a joined Elasticsearch sink re-indexes the roots of a changed lookup row in a background pass; any
  // pending pass counts (one marked at a newer version may stand for older changes too: coalesced)
  const fanOutPending = await log.positions.backlog(sink);
  return {
    sink,
    lsn: formatLsn(lsn),
    applied: confirmed >= lsn && !snapshotPending && behind.length === 0 && fanOutPending === 0,
    connectorConfirmedLsn: confirmed > 0n ? formatLsn(confirmed) : undefined,
    behind,
  };
}

/** Waits until the sink has applied everything up to `lsn`, or times out with its current progress. */
export async function waitForSink(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partitions: number,
  lsn: Lsn,
  {
    timeoutMs = 30_000,
    intervalMs = 50,
    sourceConfirmed,
  }: { timeoutMs?: number; intervalMs?: number } & ProgressOptions = {},
): Promise<SinkProgress & { timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = await sinkProgress(redis, keys, sink, partitions, lsn, { sourceConfirmed });
    if (progress.applied) return { ...progress, timedOut: false };
    if (Date.now() >= deadline) return { ...progress, timedOut: true };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The slot's confirmed_flush_lsn: what the connector has confirmed to PostgreSQL (undefined: no slot). */
export function slotConfirmedLsn(pool: Pool, slot: string): () => Promise<Lsn | undefined> {
  return async () => {
    const { rows } = await pool.query<{ lsn: string | null }>(
      'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    return rows[0]?.lsn ? parseLsn(rows[0].lsn) : undefined;
  };
}
