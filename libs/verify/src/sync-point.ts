import type { Pool } from 'pg';
import { parseLsn, type Lsn } from '@distributary/core';

export const SYNC_MESSAGE = '{"type":"sync"}';

/**
 * The source position to verify (or wait) at: `pg_current_wal_lsn()` — every transaction committed
 * before this call has its commit record below it. Then a non-transactional logical message
 * (prefix 'distributary', which the connector confirms as soon as it has appended everything before
 * it) is written after it, so even on a quiet database the connector soon confirms an LSN ≥ L.
 */
export async function syncPoint(pool: Pool): Promise<Lsn> {
  const { rows } = await pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  await emitSyncMessage(pool);
  return parseLsn(rows[0].lsn);
}

/** The sync message alone (after a position taken elsewhere, e.g. by a verification snapshot). */
export async function emitSyncMessage(pool: Pool): Promise<void> {
  await pool.query(`SELECT pg_logical_emit_message(false, 'distributary', $1)`, [SYNC_MESSAGE]);
}
