import { counter, gauge, histogram } from '@distributary/observability';

/** The sink worker's Prometheus metrics (prefix distributary_sink_). */
export const sinkMetrics = {
  eventsRead: counter('distributary_sink_events_read_total', 'Log entries read for a sink (all tables)', ['sink']),
  eventsApplied: counter('distributary_sink_events_applied_total', 'Events a sink applied', ['sink']),
  eventsStale: counter('distributary_sink_events_stale_total', 'Events a sink skipped as already applied', ['sink']),
  deadLettered: counter('distributary_sink_dead_letters_total', 'Events dead-lettered', ['sink']),
  retries: counter('distributary_sink_retries_total', 'Retried batch steps (apply, dead-letter, commit, read)', [
    'sink',
    'step',
  ]),
  errors: counter('distributary_sink_errors_total', 'Errors while running a sink', ['sink', 'kind']),
  batchSeconds: histogram(
    'distributary_sink_batch_seconds',
    'Time to apply and commit one batch',
    ['sink'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ),
  dlqSize: gauge('distributary_sink_dlq_size', 'Dead letters waiting for a sink', ['sink']),
  lagEntries: gauge('distributary_sink_lag_entries', 'Entries after the committed position', ['sink', 'partition']),
  lagBytes: gauge('distributary_sink_lag_bytes', 'Last entry LSN minus committed LSN', ['sink', 'partition']),
  lagSeconds: gauge('distributary_sink_lag_seconds', 'Age of the oldest unapplied event', ['sink', 'partition']),
  owned: gauge('distributary_sink_owned_partitions', 'Partitions this worker owns for a sink', ['sink']),
  paused: gauge('distributary_sink_paused', '1 while a sink is paused', ['sink']),
  degraded: gauge(
    'distributary_sink_degraded',
    '1 while a partition of a sink has been retrying a failed step for longer than the degraded bound',
    ['sink', 'partition'],
  ),
  retrying: gauge('distributary_sink_retrying', '1 while a partition of a sink is retrying a failed step', [
    'sink',
    'partition',
  ]),
};
