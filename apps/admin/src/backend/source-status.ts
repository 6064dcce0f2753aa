import type { Pool } from 'pg';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import { redactSecrets } from '@distributary/observability';
import { readSlotExtras } from './slot-lag';
import type { ConnectorStatus, SourceStatus } from '@distributary/admin-contract';

/** The replication slot as Postgres reports it, and the connector's lease and status hash. */
const SLOT_SQL = `
SELECT s.slot_name, s.database, s.plugin, s.active, s.active_pid,
       s.confirmed_flush_lsn::text AS confirmed_lsn, s.restart_lsn::text AS restart_lsn,
       pg_current_wal_lsn()::text AS current_lsn,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint::text AS retained_wal_bytes,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint::text AS confirmed_lag_bytes
  FROM pg_replication_slots s
 WHERE s.slot_name = $1`;

interface SlotRow {
  slot_name: string;
  database: string | null;
  plugin: string | null;
  active: boolean;
  active_pid: number | null;
  confirmed_lsn: string | null;
  restart_lsn: string | null;
  current_lsn: string;
  retained_wal_bytes: string | null;
  confirmed_lag_bytes: string | null;
}

export async function readConnectorStatus(redis: RedisClient, keys: LogKeys): Promise<ConnectorStatus> {
  const [leader, ttl, token, state] = await Promise.all([
    redis.get(keys.connectorLease()),
    redis.pttl(keys.connectorLease()),
    redis.get(keys.connectorToken()),
    redis.hgetall(keys.connectorState()),
  ]);
  return { leader, leaseTtlMs: ttl >= 0 ? ttl : null, fencingToken: token, state: redactSecrets(state) };
}

export async function readSourceStatus(
  pool: Pool,
  slot: string,
  redis: RedisClient,
  keys: LogKeys,
  warnAt = 0.5,
): Promise<SourceStatus> {
  const [slotResult, current, connector, extras] = await Promise.all([
    pool.query<SlotRow>(SLOT_SQL, [slot]),
    pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'),
    readConnectorStatus(redis, keys),
    readSlotExtras(pool, redis, keys, slot, warnAt),
  ]);
  const row = slotResult.rows[0];
  return {
    slot,
    database: row?.database ?? null,
    exists: Boolean(row),
    active: row?.active ?? false,
    activePid: row?.active_pid ?? null,
    plugin: row?.plugin ?? null,
    confirmedLsn: row?.confirmed_lsn ?? null,
    restartLsn: row?.restart_lsn ?? null,
    currentLsn: row?.current_lsn ?? current.rows[0].lsn,
    retainedWalBytes: row?.retained_wal_bytes ?? null,
    confirmedLagBytes: row?.confirmed_lag_bytes ?? null,
    connector,
    ...extras,
  };
}
