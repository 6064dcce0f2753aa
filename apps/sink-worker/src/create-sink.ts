import type { Sink } from '@distributary/core';
import {
  sinkKind,
  type ElasticsearchSinkConfig,
  type MaterializedViewSinkConfig,
  type RedisCacheSinkConfig,
  type SinkConfig,
} from '@distributary/config';
import type { Logger } from '@distributary/observability';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { createRedisCacheSink } from '@distributary/sink-redis-cache';

/** What a sink may need beyond its own config: the source (joined documents re-read roots) and a logger. */
export interface SinkContext {
  sourceUrl: string;
  logger?: Logger;
}

/** Maps a sink's configuration to its Sink instance: the one place the worker knows the sink kinds. */
export const sinkConstructors: Record<
  ReturnType<typeof sinkKind>,
  (config: SinkConfig, context: SinkContext) => Sink | Promise<Sink>
> = {
  elasticsearch: (config, { sourceUrl, logger }) =>
    createElasticsearchSink(config as ElasticsearchSinkConfig, { sourceUrl, logger }),
  redis: (config, { logger }) => createRedisCacheSink(config as RedisCacheSinkConfig, { logger }),
  view: (config, { sourceUrl, logger }) =>
    createMaterializedViewSink(config as MaterializedViewSinkConfig, { sourceUrl, logger }),
};

export async function createSink(config: SinkConfig, context: SinkContext): Promise<Sink> {
  return sinkConstructors[sinkKind(config)](config, context);
}
