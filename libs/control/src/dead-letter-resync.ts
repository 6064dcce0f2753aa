import { canonicalKey, type Row } from '@distributary/core';
import {
  type ChangeLog,
  type DeadLetter,
  type DeadLetterReplayResult,
  type LogKeys,
  type RedisClient,
} from '@distributary/changelog';
import { requestSnapshot } from './snapshot-jobs';
import type { SnapshotRecord } from '@distributary/pg-snapshot';
import { SnapshotRequests } from './snapshot-requests';

export interface ResyncOptions {
  ids?: string[];
  /** How long a snapshot may wait for a connector to pick it up (default 15 s). */
  pickupMs?: number;
  /** How long a picked-up snapshot may run (default 5 min). */
  timeoutMs?: number;
}

const CHUNK = 500;
const NOT_PICKED_UP = 'was not picked up';
/** A connector that has not written its state for this long is taken as not running. */
const CONNECTOR_SILENT_MS = 30_000;

/** Why no connector took the snapshot: none running, one waiting on something, or one busy. */
async function connectorHint(log: ChangeLog): Promise<string> {
  const state = await log.connector.read().catch(() => undefined);
  const updated = state?.updatedAt ? Date.parse(state.updatedAt) : NaN;
  if (!state?.leader || !Number.isFinite(updated) || Date.now() - updated > CONNECTOR_SILENT_MS)
    return 'no connector of this pipeline has reported recently: is one running?';
  if (state.waitingFor)
    return `the connector (${state.leader}) is waiting since ${state.waitingSince ?? '?'}: ${state.waitingFor}; retry once it streams`;
  return `the connector (${state.leader}) is running but did not take the snapshot (busy re-syncing or catching up?); retry later`;
}

/**
 * Replaying dead letters applies the source's CURRENT truth, never the stale event: the dead-lettered
 * keys are re-read by a targeted incremental snapshot (the same path as `verify --repair`). The active
 * connector reads those rows at a fresh watermark and appends them to the log, ordered against
 * concurrent changes by the watermark algorithm, and the sinks apply them through their normal path.
 * A key deleted meanwhile is not in the snapshot, so it stays deleted (its delete already went
 * through the log); a key still failing is dead-lettered again, with today's error and row.
 * Idempotent: re-reading a key twice writes the same current row twice (version-guarded).
 *
 * The dead letters are removed once every snapshot is done (their keys are then in the log); when no
 * connector picks a snapshot up within `pickupMs`, it is cancelled and the dead letters are kept.
 */
export async function resyncDeadLetters(
  log: ChangeLog,
  sink: string,
  options: ResyncOptions = {},
): Promise<DeadLetterReplayResult & { snapshots: string[] }> {
  const { redis, keys } = log;
  const letters = options.ids ? await log.deadLetters.get(sink, options.ids) : await log.deadLetters.all(sink);
  if (letters.length === 0) return { replayed: 0, failed: 0, failedIds: [], snapshots: [] };
  const started: SnapshotRecord[] = [];
  for (const request of snapshotRequests(letters))
    started.push(await requestSnapshot(redis, keys, { ...request, reason: `dlq replay of sink ${sink}` }));
  const failures = await waitForSnapshots(redis, keys, started, options);
  if (failures.length > 0)
    throw new Error(
      `dlq replay of ${sink}: ${failures.join('; ')}; the dead letters are kept` +
        (failures.some((failure) => failure.includes(NOT_PICKED_UP)) ? `; ${await connectorHint(log)}` : ''),
    );
  for (const letter of letters) await redis.xdel(keys.deadLetters(sink), letter.id);
  return { replayed: letters.length, failed: 0, failedIds: [], snapshots: started.map((s) => s.id) };
}

/** Per table: the distinct keys of its dead letters, in chunks; a dead-lettered TRUNCATE re-reads the table. */
function snapshotRequests(letters: DeadLetter[]): { table: string; keys?: Row[] }[] {
  const byTable = new Map<string, Map<string, Row> | 'all'>();
  for (const { event } of letters) {
    const known = byTable.get(event.table) ?? new Map<string, Row>();
    if (event.op === 't' || known === 'all') {
      byTable.set(event.table, 'all');
      continue;
    }
    known.set(canonicalKey(event.table, event.key), event.key);
    byTable.set(event.table, known);
  }
  const requests: { table: string; keys?: Row[] }[] = [];
  for (const [table, rows] of byTable) {
    if (rows === 'all') {
      requests.push({ table });
      continue;
    }
    const list = [...rows.values()];
    for (let i = 0; i < list.length; i += CHUNK) requests.push({ table, keys: list.slice(i, i + CHUNK) });
  }
  return requests;
}

async function waitForSnapshots(
  redis: RedisClient,
  keys: LogKeys,
  started: SnapshotRecord[],
  { pickupMs = 15_000, timeoutMs = 300_000 }: ResyncOptions,
): Promise<string[]> {
  const store = new SnapshotRequests(redis, keys);
  const failures: string[] = [];
  const pending = new Map(started.map((record) => [record.id, record]));
  const begin = Date.now();
  while (pending.size > 0) {
    for (const [id, known] of [...pending]) {
      const record = (await store.get(id)) ?? known;
      if (record.status === 'done') pending.delete(id);
      else if (record.status === 'failed' || record.status === 'cancelled') {
        failures.push(`snapshot ${id} of ${record.table} ${record.status}${record.error ? `: ${record.error}` : ''}`);
        pending.delete(id);
      } else if (record.status === 'queued' && Date.now() - begin > pickupMs) {
        await store.setStatus(id, 'cancelled').catch(() => undefined);
        failures.push(`snapshot ${id} of ${record.table} ${NOT_PICKED_UP} within ${pickupMs} ms`);
        pending.delete(id);
      } else if (Date.now() - begin > timeoutMs) {
        failures.push(`snapshot ${id} of ${record.table} did not finish within ${timeoutMs} ms`);
        pending.delete(id);
      }
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return failures;
}
