import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { Row } from '@distributary/core';
import { SnapshotRequests, requestSnapshot } from '@distributary/control';
import type { SnapshotRecord } from '@distributary/pg-snapshot';

export interface SnapshotOutcome {
  done: SnapshotRecord[];
  notPickedUp: SnapshotRecord[];
  failed: SnapshotRecord[];
}

/**
 * The pipeline path of repair: a targeted incremental snapshot (watermark algorithm, run by the active
 * connector) re-reads the rows and appends them to the log at a fresh position, and the sinks fix
 * themselves. Returns when every requested snapshot finished, or reports the ones nobody picked up
 * within `pickupMs` (no connector runs snapshot jobs) — those are cancelled so the caller can fall back.
 */
export async function snapshotAndWait(
  redis: RedisClient,
  keys: LogKeys,
  requests: { table: string; keys?: Row[]; where?: string }[],
  reason: string,
  { pickupMs = 10_000, timeoutMs = 120_000 } = {},
): Promise<SnapshotOutcome> {
  const store = new SnapshotRequests(redis, keys);
  const started: SnapshotRecord[] = [];
  for (const request of requests) started.push(await requestSnapshot(redis, keys, { ...request, reason }));
  const outcome: SnapshotOutcome = { done: [], notPickedUp: [], failed: [] };
  const begin = Date.now();
  const pending = new Map(started.map((record) => [record.id, record]));
  while (pending.size > 0) {
    for (const id of [...pending.keys()]) {
      const record = (await store.get(id)) ?? pending.get(id);
      if (!record) continue;
      if (record.status === 'done') outcome.done.push(record);
      else if (record.status === 'failed' || record.status === 'cancelled') outcome.failed.push(record);
      else if (record.status === 'queued' && Date.now() - begin > pickupMs) {
        outcome.notPickedUp.push(await store.setStatus(id, 'cancelled').catch(() => record));
      } else if (Date.now() - begin > timeoutMs) outcome.failed.push({ ...record, error: 'timed out' });
      else continue;
      pending.delete(id);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return outcome;
}
