import type { TestDatabase } from './database';

/**
 * True once a connector streams from `slot`: the slot's active backend is a walsender past START_REPLICATION
 * (pg_stat_replication state `catchup` or `streaming`). `pg_replication_slots.active` alone is not that:
 * the slot is already active while CREATE_REPLICATION_SLOT still waits for running transactions to finish,
 * and a transaction committed before the slot's consistent point is never streamed (with `snapshot: never`
 * it is in no log at all) — a test that starts writing then loses its first changes under load.
 */
export async function slotStreaming(db: Pick<TestDatabase, 'sql'>, slot: string): Promise<boolean> {
  const rows = await db.sql<{ state: string }>(
    `SELECT r.state
       FROM pg_replication_slots s
       JOIN pg_stat_replication r ON r.pid = s.active_pid
      WHERE s.slot_name = $1`,
    [slot],
  );
  return rows[0]?.state === 'catchup' || rows[0]?.state === 'streaming';
}
