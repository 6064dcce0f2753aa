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
import { createMaterializedViewSink, parseViewSql } from '@distributary/sink-materialized-view';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import { transactionSizeFromLog } from './transaction-size';
import { createRedisCacheSink } from '@distributary/sink-redis-cache';

/** What a sink may need beyond its own config: the source (joined documents re-read roots) and a logger. */
export interface SinkContext {
  sourceUrl: string;
  logger?: Logger;
  /** The change log, for views applied transaction by transaction (they count a transaction's events). */
  log?: { redis: RedisClient; keys: LogKeys; partitions: number };
  /** The pipeline's identity (its log namespace; default: the log's namespace): what sinks key their state by. */
  pipeline?: string;
}

/** Maps a sink's configuration to its Sink instance: the one place the worker knows the sink kinds. */
export const sinkConstructors: Record<
  ReturnType<typeof sinkKind>,
  (config: SinkConfig, context: SinkContext) => Sink | Promise<Sink>
> = {
  elasticsearch: (config, { sourceUrl, logger, log, pipeline }) =>
    createElasticsearchSink(config as ElasticsearchSinkConfig, {
      sourceUrl,
      logger,
      pipeline: pipeline ?? log?.keys.namespace,
    }),
  redis: (config, { logger, log, pipeline }) =>
    createRedisCacheSink(config as RedisCacheSinkConfig, { logger, pipeline: pipeline ?? log?.keys.namespace }),
  view: async (config, { sourceUrl, logger, log, pipeline }) => {
    const view = config as MaterializedViewSinkConfig;
    const definition = view.transactional && log ? await parseViewSql(view.sql) : undefined;
    const tables = definition?.tables ?? [];
    return createMaterializedViewSink(view, {
      sourceUrl,
      logger,
      pipeline: pipeline ?? log?.keys.namespace,
      ...(definition && log
        ? { transactionSize: transactionSizeFromLog(log.redis, log.keys, log.partitions, tables) }
        : {}),
    });
  },
};

export async function createSink(config: SinkConfig, context: SinkContext): Promise<Sink> {
  return sinkConstructors[sinkKind(config)](config, context);
}
