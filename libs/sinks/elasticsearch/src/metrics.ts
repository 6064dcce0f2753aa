import { counter, gauge, histogram } from '@distributary/observability';

/** Prometheus metrics of the Elasticsearch sink, labelled by sink name. docs/s = rate(..._docs_total). */
export const esMetrics = {
  docs: counter('distributary_es_docs_total', 'Documents written, by result (applied, stale, rejected)', [
    'sink',
    'result',
  ]),
  bulkSeconds: histogram(
    'distributary_es_bulk_seconds',
    'Latency of one bulk request',
    ['sink'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ),
  retries: counter('distributary_es_retries_total', 'Bulk retries, by reason', ['sink', 'reason']),
  errors: counter('distributary_es_errors_total', 'Errors, by kind (rejected, retryable, fatal)', ['sink', 'kind']),
  sourceReads: counter('distributary_es_source_reads_total', 'Source queries made to rebuild joined documents', [
    'sink',
  ]),
  appliedLsn: gauge('distributary_es_applied_lsn', 'Commit LSN of the newest event applied (lag hook)', ['sink']),
  appliedCommitSeconds: gauge(
    'distributary_es_applied_commit_timestamp_seconds',
    'Source commit time of the newest event applied (lag hook: now - this)',
    ['sink'],
  ),
  fanOutPending: gauge(
    'distributary_es_fan_out_pending',
    'Lookup/child keys whose roots wait for a re-index pass (coalesced across batches)',
    ['sink'],
  ),
  fanOutPasses: counter('distributary_es_fan_out_passes_total', 'Fan-out re-index passes, by outcome', [
    'sink',
    'outcome',
  ]),
  fanOutRoots: counter(
    'distributary_es_fan_out_roots_total',
    'Roots re-indexed by fan-out passes (each page counted once written)',
    ['sink'],
  ),
  fanOutPassStarted: gauge(
    'distributary_es_fan_out_pass_started_seconds',
    'Unix time the running fan-out pass started (0 when none runs in this process)',
    ['sink'],
  ),
  rebuilds: counter('distributary_es_rebuilds_total', 'Index rebuilds, by outcome', ['sink', 'outcome']),
};
