import type { Lsn } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { InitialSnapshotStore } from '@distributary/pg-snapshot';
import { HashRecord } from './hash-record';

export type InitialSnapshotState = 'none' | 'running' | 'done';

/** The initial snapshot's progress record in the log Redis (what runInitialSnapshot resumes from). */
export function initialSnapshotRecord(redis: RedisClient, keys: LogKeys): InitialSnapshotStore {
  return new HashRecord(redis, keys.initialSnapshot());
}

/** Whether the initial snapshot never ran, is running (or was interrupted), or is done; and its LSN. */
export async function initialSnapshotState(
  redis: RedisClient,
  keys: LogKeys,
): Promise<{ state: InitialSnapshotState; lsn?: Lsn }> {
  const record = await initialSnapshotRecord(redis, keys).read();
  if (!record.status) return { state: 'none' };
  return { state: record.status === 'done' ? 'done' : 'running', lsn: record.lsn ? BigInt(record.lsn) : undefined };
}
