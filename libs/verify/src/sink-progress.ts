import { compareIds, parseLsn, positionToId, type Lsn } from '@distributary/core';
import { LogKeys, readConnectorState, sinkPositions, type RedisClient } from '@distributary/changelog';

/**
 * Read-your-writes: a sink has applied everything up to source LSN L when (1) the connector has
 * confirmed L — every change committed before L is in the log — and (2) in every partition, no entry
 * below L lies beyond the sink's committed position.
 */
export interface SinkProgress {
  sink: string;
  lsn: string;
  applied: boolean;
  connectorConfirmedLsn?: string;
  /** Partitions still holding entries below L that the sink has not applied, with its position there. */
  behind: { partition: number; committed?: string; nextId: string }[];
}

export async function sinkProgress(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partitions: number,
  lsn: Lsn,
): Promise<SinkProgress> {
  const state = await readConnectorState(redis, keys);
  const confirmed = state.confirmedLsn ? parseLsn(state.confirmedLsn) : 0n;
  const positions = await sinkPositions(redis, keys, sink, partitions);
  const bound = positionToId({ lsn, seq: 0 });
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
  return {
    sink,
    lsn: lsn.toString(),
    applied: confirmed >= lsn && behind.length === 0,
    connectorConfirmedLsn: state.confirmedLsn,
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
  { timeoutMs = 30_000, intervalMs = 50 } = {},
): Promise<SinkProgress & { timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = await sinkProgress(redis, keys, sink, partitions, lsn);
    if (progress.applied) return { ...progress, timedOut: false };
    if (Date.now() >= deadline) return { ...progress, timedOut: true };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
