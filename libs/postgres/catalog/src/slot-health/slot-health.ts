import { statfs } from 'node:fs/promises';
import type { Pool, PoolClient, Client } from 'pg';

/**
 * The replication slot's health as PostgreSQL reports it (pg_replication_slots, any server version:
 * the row is read as JSON so columns a version lacks — `conflicting` before 16, `invalidation_reason`
 * before 17 — are simply absent), judged into one state every surface shows the same way:
 *
 * - `ok`       streaming or resumable, retained WAL below the warning fraction;
 * - `warning`  retained WAL past `warnAt` × max_slot_wal_keep_size (or × free disk when unlimited),
 *              or wal_status `unreserved` (PostgreSQL will remove the slot's WAL at the next checkpoint);
 * - `lost`     invalidated (wal_status `lost`, `conflicting`, or an `invalidation_reason`): the slot
 *              can never be read again — only a re-sync at a new consistent point recovers;
 * - `missing`  no slot of that name (dropped, or not created yet).
 */
export type SlotState = 'ok' | 'warning' | 'lost' | 'missing';

export interface SlotHealth {
  slot: string;
  state: SlotState;
  /** Human-readable: why the state is what it is (the exact PostgreSQL wording where there is one). */
  reason?: string;
  exists: boolean;
  plugin?: string | null;
  database?: string | null;
  /** reserved | extended | unreserved | lost (PostgreSQL 13+). */
  walStatus?: string | null;
  /** Bytes that can still be written before the slot is in danger of being lost (null = unlimited or lost). */
  safeWalSize?: string | null;
  invalidationReason?: string | null;
  conflicting?: boolean | null;
  active: boolean;
  activePid?: number | null;
  restartLsn?: string | null;
  confirmedFlushLsn?: string | null;
  /** pg_current_wal_lsn() when read. */
  currentLsn: string;
  /** current − restart_lsn (what the slot keeps on disk; null when invalidated). */
  retainedWalBytes?: string | null;
  /** max_slot_wal_keep_size in bytes; -1 = unlimited. */
  maxSlotWalKeepSize: string;
  /** Free bytes on the WAL's file system when it can be read from here (same host), else null. */
  freeDiskBytes?: string | null;
  /** The fraction that triggers `warning`, and the byte threshold it meant (null: nothing to compare with). */
  warnAt: number;
  warnBytes?: string | null;
  checkedAt: string;
}

const SLOT_HEALTH_SQL = `
SELECT to_jsonb(s) AS slot,
       pg_current_wal_lsn()::text AS current_lsn,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint::text AS retained,
       pg_size_bytes(current_setting('max_slot_wal_keep_size'))::text AS max_keep,
       current_database() AS current_db
  FROM (SELECT 1) one
  LEFT JOIN pg_replication_slots s ON s.slot_name = $1`;

interface HealthRow {
  slot: Record<string, unknown> | null;
  current_lsn: string;
  retained: string | null;
  max_keep: string;
  current_db: string;
}

type Queryable = Pick<Pool | PoolClient | Client, 'query'>;

/** Reads and judges the slot. `warnAt` is source.slotWarnAt (0 < warnAt ≤ 1). */
export async function readSlotHealth(db: Queryable, slot: string, warnAt = 0.5): Promise<SlotHealth> {
  const { rows } = await db.query<HealthRow>(SLOT_HEALTH_SQL, [slot]);
  const row = rows[0];
  const freeDisk = row.max_keep === '-1' ? await freeWalDiskBytes(db) : null;
  return judgeSlot(slot, row, warnAt, freeDisk, new Date().toISOString());
}

function str(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

export function judgeSlot(
  slot: string,
  row: HealthRow,
  warnAt: number,
  freeDisk: bigint | null,
  checkedAt: string,
): SlotHealth {
  const base = {
    slot,
    currentLsn: row.current_lsn,
    maxSlotWalKeepSize: row.max_keep,
    warnAt,
    freeDiskBytes: freeDisk === null ? null : freeDisk.toString(),
    checkedAt,
  };
  const s = row.slot;
  if (!s || s.slot_name === null || s.slot_name === undefined)
    return {
      ...base,
      state: 'missing',
      exists: false,
      active: false,
      reason: `replication slot "${slot}" does not exist`,
    };
  const health: SlotHealth = {
    ...base,
    state: 'ok',
    exists: true,
    plugin: str(s.plugin),
    database: str(s.database),
    walStatus: str(s.wal_status),
    safeWalSize: str(s.safe_wal_size),
    invalidationReason: str(s.invalidation_reason),
    conflicting: typeof s.conflicting === 'boolean' ? s.conflicting : null,
    active: s.active === true,
    activePid: typeof s.active_pid === 'number' ? s.active_pid : null,
    restartLsn: str(s.restart_lsn),
    confirmedFlushLsn: str(s.confirmed_flush_lsn),
    retainedWalBytes: row.retained,
  };
  const maxKeep = BigInt(row.max_keep);
  const limit = maxKeep >= 0n ? maxKeep : freeDisk !== null && row.retained ? freeDisk + BigInt(row.retained) : null;
  health.warnBytes = limit === null ? null : BigInt(Math.floor(Number(limit) * warnAt)).toString();
  if (health.walStatus === 'lost' || health.invalidationReason || health.conflicting === true) {
    health.state = 'lost';
    health.reason = lostReason(health);
  } else if (health.walStatus === 'unreserved') {
    health.state = 'warning';
    health.reason =
      `wal_status is 'unreserved': the slot retains more than max_slot_wal_keep_size (${row.max_keep} B); ` +
      'PostgreSQL removes its WAL at the next checkpoint unless the connector catches up now';
  } else if (health.warnBytes !== null && row.retained !== null && BigInt(row.retained) >= BigInt(health.warnBytes)) {
    health.state = 'warning';
    health.reason =
      `retained WAL ${row.retained} B passed ${Math.round(warnAt * 100)} % of ` +
      (maxKeep >= 0n ? `max_slot_wal_keep_size (${row.max_keep} B)` : `the free disk space (${String(limit)} B)`) +
      ': the slot will be lost if the connector does not catch up';
  }
  return health;
}

function lostReason(health: SlotHealth): string {
  const why = health.invalidationReason
    ? `invalidation_reason '${health.invalidationReason}'`
    : health.conflicting
      ? 'conflicting with recovery (rows it needs were removed on the primary)'
      : `wal_status 'lost': it retained more WAL than max_slot_wal_keep_size (${health.maxSlotWalKeepSize} B) and PostgreSQL removed the WAL it needed`;
  return `replication slot "${health.slot}" was invalidated by PostgreSQL (${why}); changes since its confirmed position ${health.confirmedFlushLsn ?? '?'} can no longer be streamed`;
}

/** Free space of the file system holding pg_wal, when the server's data directory is visible here. */
async function freeWalDiskBytes(db: Queryable): Promise<bigint | null> {
  try {
    const { rows } = await db.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
    const stats = await statfs(rows[0].dir);
    return BigInt(stats.bavail) * BigInt(stats.bsize);
  } catch {
    return null;
  }
}
