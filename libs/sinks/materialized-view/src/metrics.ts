import { counter, gauge, histogram } from '@distributary/observability';

/** Prometheus metrics of materialized-view sinks (label: sink). */
export const viewMetrics = {
  eventsApplied: counter('distributary_view_events_applied_total', 'Change events applied to a view', ['sink']),
  eventsSkipped: counter(
    'distributary_view_events_skipped_total',
    'Change events skipped because the view already holds them (at or below its stored position)',
    ['sink'],
  ),
  eventsRejected: counter('distributary_view_events_rejected_total', 'Change events a view could not apply', ['sink']),
  groupsTouched: counter('distributary_view_groups_touched_total', 'View groups recomputed by applied batches', [
    'sink',
  ]),
  batchSeconds: histogram('distributary_view_batch_seconds', 'Time to apply one batch in one target transaction', [
    'sink',
  ]),
  lagSeconds: gauge(
    'distributary_view_lag_seconds',
    'Seconds between the source commit of the last applied event and its application',
    ['sink'],
  ),
  lastAppliedLsn: gauge('distributary_view_last_applied_lsn', 'Commit LSN of the last applied event', [
    'sink',
    'partition',
  ]),
};
