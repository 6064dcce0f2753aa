/**
 * Bridge for the harness while the lead has not yet wired a sink kind into
 * libs/worker/src/create-sink.ts: registers the real sink libraries' constructors for the kinds
 * that are still missing, and leaves any kind already wired untouched. Nothing here is a stub — the
 * worker then runs the real sinks through its real code path (the `distributary run` CLI).
 */
import type {
  ElasticsearchSinkConfig,
  MaterializedViewSinkConfig,
  RedisCacheSinkConfig,
  SinkConfig,
} from '@distributary/config';
import { createLogger } from '@distributary/observability';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { createRedisCacheSink } from '@distributary/sink-redis-cache';
import { sinkConstructors } from '@distributary/worker';

/** The kinds this call wired itself (empty once the lead wired them all). */
export function wireMissingSinks(sourceUrl: string): string[] {
  const wired: string[] = [];
  if (!sinkConstructors.elasticsearch) {
    sinkConstructors.elasticsearch = (config: SinkConfig) => {
      const logger = createLogger('sink-es');
      const source = new PgSourceRows(sourceUrl, { logger: logger.child({ sink: config.name }) });
      return createElasticsearchSink(config as ElasticsearchSinkConfig, { source, logger });
    };
    wired.push('elasticsearch');
  }
  if (!sinkConstructors.redis) {
    sinkConstructors.redis = (config: SinkConfig) =>
      createRedisCacheSink(config as RedisCacheSinkConfig, { logger: createLogger('sink-redis') });
    wired.push('redis');
  }
  if (!sinkConstructors.view) {
    sinkConstructors.view = (config: SinkConfig) =>
      createMaterializedViewSink(config as MaterializedViewSinkConfig, {
        sourceUrl,
        logger: createLogger('sink-view'),
      });
    wired.push('view');
  }
  return wired;
}
