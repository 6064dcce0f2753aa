import { sinkKinds, type SinkConfig, type SinkKind } from './schema/root';
import type { ElasticsearchSinkConfig } from './schema/sinks/elasticsearch';
import type { MaterializedViewSinkConfig } from './schema/sinks/materialized-view';
import type { RedisCacheSinkConfig } from './schema/sinks/redis-cache';

/** The kind of a raw or parsed sink: the one of `elasticsearch` / `redis` / `view` it has. */
export function sinkKindsPresent(sink: object): SinkKind[] {
  return sinkKinds.filter((kind) => kind in sink);
}

export function sinkKind(sink: SinkConfig): SinkKind {
  const [kind] = sinkKindsPresent(sink);
  if (!kind) throw new Error(`sink ${sink.name} has none of ${sinkKinds.join(', ')}`);
  return kind;
}

export function isElasticsearchSink(sink: SinkConfig): sink is ElasticsearchSinkConfig {
  return 'elasticsearch' in sink;
}
export function isRedisCacheSink(sink: SinkConfig): sink is RedisCacheSinkConfig {
  return 'redis' in sink;
}
export function isMaterializedViewSink(sink: SinkConfig): sink is MaterializedViewSinkConfig {
  return 'view' in sink;
}
