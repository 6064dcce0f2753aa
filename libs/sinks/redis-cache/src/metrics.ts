import { counter, gauge, histogram } from '@distributary/observability';

/** Prometheus metrics of the Redis cache sink, labelled by sink name. */
export const cacheMetrics = {
  events: counter(
    'distributary_redis_cache_events_total',
    'Change events handled by a Redis cache sink, by result (applied, stale, rejected)',
    ['sink', 'result'],
  ),
  writes: counter(
    'distributary_redis_cache_writes_total',
    'Version-guarded writes that changed the cache, by kind (set, delete, group_add, group_remove)',
    ['sink', 'kind'],
  ),
  errors: counter(
    'distributary_redis_cache_errors_total',
    'Redis cache sink errors, by kind (unavailable = retried batch, rejected = dead-lettered event)',
    ['sink', 'kind'],
  ),
  batchSeconds: histogram('distributary_redis_cache_batch_seconds', 'Time to apply one batch to the cache', ['sink']),
  lagSeconds: gauge(
    'distributary_redis_cache_lag_seconds',
    'Seconds between the source commit of the last applied event and its application, per partition',
    ['sink', 'partition'],
  ),
};
