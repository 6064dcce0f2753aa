import { Client } from 'pg';
import type { DistributaryConfig } from '@distributary/config';
import { redactUrl } from '@distributary/observability';
import { readSlotHealth, type SlotHealth } from '@distributary/pg-catalog';

export interface SlotStatus {
  slot: string;
  exists: boolean;
  active?: boolean;
  activePid?: number;
  confirmedFlushLsn?: string;
  /** pg_current_wal_lsn() − confirmed_flush_lsn: WAL the slot keeps on the source's disk. */
  retainedWalBytes?: string;
  /** wal_status, safe_wal_size, invalidation, max_slot_wal_keep_size and the judged state (ok/warning/lost/missing). */
  health?: SlotHealth;
  error?: string;
}

const SLOT_QUERY = `
SELECT active,
       active_pid,
       confirmed_flush_lsn::text AS confirmed_flush_lsn,
       pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text AS retained_wal_bytes
  FROM pg_replication_slots
 WHERE slot_name = $1`;

/** The replication slot as Postgres sees it (pg_replication_slots). */
export async function readSlotStatus(config: DistributaryConfig): Promise<SlotStatus> {
  const slot = config.source.postgres.slot;
  const client = new Client({ connectionString: config.source.postgres.url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{
      active: boolean;
      active_pid: number | null;
      confirmed_flush_lsn: string | null;
      retained_wal_bytes: string | null;
    }>(SLOT_QUERY, [slot]);
    const row = rows[0];
    const health = await readSlotHealth(client, slot, config.source.slotWarnAt);
    if (!row) return { slot, exists: false, health };
    return {
      slot,
      exists: true,
      active: row.active,
      activePid: row.active_pid ?? undefined,
      confirmedFlushLsn: row.confirmed_flush_lsn ?? undefined,
      retainedWalBytes: row.retained_wal_bytes ?? undefined,
      health,
    };
  } catch (error) {
    return { slot, exists: false, error: redactUrl((error as Error).message) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
