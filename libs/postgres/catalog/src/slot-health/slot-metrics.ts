import { counter, gauge } from '@distributary/observability';

/** Prometheus metrics of the replication slot's health (set by the connector's status loop). */
export const slotMetrics = {
  state: gauge('distributary_slot_state', '1 for the slot state now (ok, warning, lost, missing), 0 for the others', [
    'slot',
    'state',
  ]),
  active: gauge('distributary_slot_active', '1 while a walsender reads the slot', ['slot']),
  retainedBytes: gauge(
    'distributary_slot_retained_wal_bytes',
    'WAL kept on the source for the slot: pg_current_wal_lsn() - restart_lsn',
    ['slot'],
  ),
  safeWalSizeBytes: gauge(
    'distributary_slot_safe_wal_size_bytes',
    'safe_wal_size: WAL that can still be written before the slot is in danger (-1 when unlimited)',
    ['slot'],
  ),
  maxKeepBytes: gauge('distributary_slot_max_wal_keep_bytes', 'max_slot_wal_keep_size in bytes (-1 = unlimited)', [
    'slot',
  ]),
  warnBytes: gauge(
    'distributary_slot_warn_bytes',
    'Retained WAL above which the slot is in warning (source.slotWarnAt of the limit; -1 = none)',
    ['slot'],
  ),
  resyncRunning: gauge('distributary_slot_resync_running', '1 while a re-sync after slot loss runs', ['slot']),
  resyncRows: gauge('distributary_slot_resync_rows', 'Rows re-read by the running or last re-sync', ['slot']),
  resyncs: counter('distributary_slot_resyncs_total', 'Re-syncs started, by cause', ['slot', 'problem']),
  schemaChanges: counter('distributary_schema_changes_total', 'Column changes of published tables seen', [
    'table',
    'policy',
  ]),
};

const STATES = ['ok', 'warning', 'lost', 'missing'] as const;

export function recordSlotState(slot: string, state: string): void {
  for (const s of STATES) slotMetrics.state.set({ slot, state: s }, s === state ? 1 : 0);
}
