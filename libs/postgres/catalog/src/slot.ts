import { Client, type Pool } from 'pg';
import { SourceShapeError, parseLsn, quoteIdent, type Lsn } from '@distributary/core';

export interface SlotInfo {
  slot: string;
  confirmedFlushLsn: Lsn | null;
  active: boolean;
}

/**
 * Creates the pgoutput logical slot when missing; an existing slot must be logical, use pgoutput and
 * belong to this database, or we stop with a clear message.
 */
export async function ensureSlot(pool: Pool, slot: string): Promise<{ created: boolean; info: SlotInfo }> {
  const existing = await readSlot(pool, slot);
  if (existing) return { created: false, info: existing };
  await pool.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  const created = await readSlot(pool, slot);
  if (!created) throw new Error(`replication slot ${slot} vanished right after it was created`);
  return { created: true, info: created };
}

export async function readSlot(pool: Pool, slot: string): Promise<SlotInfo | null> {
  const { rows } = await pool.query<{
    plugin: string | null;
    slot_type: string;
    database: string | null;
    current_db: string;
    confirmed_flush_lsn: string | null;
    active: boolean;
  }>(
    `SELECT plugin, slot_type, database, current_database() AS current_db, confirmed_flush_lsn::text, active
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const row = rows[0];
  if (!row) return null;
  if (row.slot_type !== 'logical' || row.plugin !== 'pgoutput')
    throw new SourceShapeError(
      `replication slot ${slot} exists but is ${row.slot_type} with plugin ${row.plugin ?? 'none'}; ` +
        `Distributary needs a logical pgoutput slot: drop it (SELECT pg_drop_replication_slot('${slot}')) or configure another source.postgres.slot`,
    );
  if (row.database !== row.current_db)
    throw new SourceShapeError(
      `replication slot ${slot} belongs to database ${row.database}, not ${row.current_db}: configure another source.postgres.slot`,
    );
  return {
    slot,
    confirmedFlushLsn: row.confirmed_flush_lsn ? parseLsn(row.confirmed_flush_lsn) : null,
    active: row.active,
  };
}

export interface ExportedSlot {
  slot: string;
  consistentPointLsn: Lsn;
  /** For `SET TRANSACTION SNAPSHOT '<name>'` in REPEATABLE READ transactions while the slot connection is open. */
  snapshotName: string;
  /** Closes the replication connection; the exported snapshot is gone afterwards. */
  release(): Promise<void>;
}

/**
 * Creates a pgoutput slot over a replication connection with EXPORT_SNAPSHOT. The snapshot stays
 * importable until release(): read every table in it, then stream from consistentPointLsn.
 */
export async function createSlotWithExportedSnapshot(url: string, slot: string): Promise<ExportedSlot> {
  const client = new Client({ connectionString: url, replication: 'database' } as ConstructorParameters<
    typeof Client
  >[0]);
  // The connection stays open for the whole snapshot read: a server restart meanwhile must fail the reads
  // (they lose the exported snapshot), not crash the process with an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT ${quoteIdent(slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    const row = rows[0];
    let released = false;
    return {
      slot,
      consistentPointLsn: parseLsn(row.consistent_point),
      snapshotName: row.snapshot_name,
      release: async () => {
        if (released) return;
        released = true;
        await client.end();
      },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** Bytes of WAL the slot holds back: pg_current_wal_lsn() − confirmed_flush_lsn (null when the slot is missing). */
export async function retainedWalBytes(pool: Pool, slot: string): Promise<number | null> {
  const { rows } = await pool.query<{ bytes: string | null }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS bytes
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  return rows[0]?.bytes != null ? Number(rows[0].bytes) : null;
}

/** Current server WAL position (for lag metrics). */
export async function currentWalLsn(pool: Pool): Promise<Lsn> {
  const { rows } = await pool.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`);
  return parseLsn(rows[0].lsn);
}
