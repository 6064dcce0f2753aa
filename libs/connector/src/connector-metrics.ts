import { counter, gauge, histogram } from '@distributary/observability';

/** Prometheus metrics of the connector (rate(distributary_connector_events_total) = events/s). */
export const connectorMetrics = {
  events: counter('distributary_connector_events_total', 'Change events appended to the log', ['op']),
  duplicates: counter(
    'distributary_connector_duplicate_appends_total',
    'Entries already in the log when re-appended (replay after a restart)',
  ),
  absentOnReplay: counter(
    'distributary_connector_absent_on_replay_total',
    'Re-appended entries below the stream top that the log does not hold (compacted, or a gap): alert on it',
  ),
  invisibleCommitWaits: counter(
    'distributary_connector_invisible_commit_waits_total',
    'Times an append waited because a transaction it carries was decoded but not yet visible to new snapshots',
  ),
  appendSeconds: histogram(
    'distributary_connector_append_seconds',
    'Latency of one pipelined log append',
    [],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  ),
  confirmedLsn: gauge('distributary_connector_confirmed_lsn', 'LSN confirmed (flushed) to PostgreSQL, as a number', [
    'slot',
  ]),
  lagBytes: gauge('distributary_connector_lag_bytes', 'pg_current_wal_lsn() minus the confirmed LSN', ['slot']),
  retainedWalBytes: gauge(
    'distributary_connector_retained_wal_bytes',
    'WAL the slot holds back: pg_current_wal_lsn() - confirmed_flush_lsn',
    ['slot'],
  ),
  leader: gauge('distributary_connector_leader', '1 while this instance streams the slot, else 0', ['slot']),
  appendsInFlight: gauge(
    'distributary_connector_appends_in_flight',
    'Log appends sent and not yet confirmable (pipelined capture), including completed ones waiting on an earlier one',
  ),
  appendBytesInFlight: gauge(
    'distributary_connector_append_bytes_in_flight',
    'Encoded bytes appended but not yet acknowledged by Redis; above the bound the replication socket is paused',
  ),
  toastFilled: counter('distributary_connector_toast_filled_total', 'Unchanged TOAST values filled', ['source']),
  toastSuperseded: counter(
    'distributary_connector_toast_superseded_total',
    'Updates skipped: their unchanged TOAST value is nowhere and the row was removed by a later change',
  ),
};
