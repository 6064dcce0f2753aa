import type { Sink } from '@distributary/core';
import {
  sinkKind,
  type ElasticsearchSinkConfig,
  type MaterializedViewSinkConfig,
  type RedisCacheSinkConfig,
  type SinkConfig,
} from '@distributary/config';
import { silentLogger, type Logger } from '@distributary/observability';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createMaterializedViewSink, parseViewSql } from '@distributary/sink-materialized-view';
import { ChangeLog, type LogHandle } from '@distributary/changelog';
import { partitionFor, type ChangeEvent } from '@distributary/core';
import { transactionSizeFromLog } from './transaction-size';
import { createRedisCacheSink } from '@distributary/sink-redis-cache';

/** What a sink may need beyond its own config: the source (joined documents re-read roots) and a logger. */
export interface SinkContext {
  sourceUrl: string;
  logger?: Logger;
  /** The change log, for views applied transaction by transaction (they count a transaction's events). */
  log?: LogHandle;
  /** The pipeline's identity (its log namespace; default: the log's namespace): what sinks key their state by. */
  pipeline?: string;
  /** This process's identity (e.g. the worker id): who holds a sink's background job locks. */
  owner?: string;
}

/** The durable fan-out queue of a joined Elasticsearch sink, in the log's Redis (see the ES sink). */
function fanOutOf(name: string, handle: SinkContext['log'], owner: string | undefined) {
  if (!handle) return undefined;
  const log = ChangeLog.of(handle);
  return {
    redis: log.redis,
    namespace: log.keys.namespace,
    owner: owner ?? `${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    isPaused: async () => (await log.sinks.paused()).includes(name),
    deadLetter: async (event: ChangeEvent, error: string) => {
      await log.deadLetters.append(name, partitionFor(event.table, event.key, log.partitions), event, error);
    },
  };
}

/** Maps a sink's configuration to its Sink instance: the one place the worker knows the sink kinds. */
export const sinkConstructors: Record<
  ReturnType<typeof sinkKind>,
  (config: SinkConfig, context: SinkContext) => Sink | Promise<Sink>
> = {
  elasticsearch: (config, { sourceUrl, logger, log, pipeline, owner }) =>
    createElasticsearchSink(config as ElasticsearchSinkConfig, {
      // the source's rows, re-read for joined documents (the sink's SourceRows port, on PostgreSQL)
      source: new PgSourceRows(sourceUrl, { logger: (logger ?? silentLogger).child({ sink: config.name }) }),
      logger,
      pipeline: pipeline ?? log?.keys.namespace,
      fanOut: fanOutOf(config.name, log, owner),
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
      ...(definition && log ? { transactionSize: transactionSizeFromLog(log, tables) } : {}),
    });
  },
};

export async function createSink(config: SinkConfig, context: SinkContext): Promise<Sink> {
  return sinkConstructors[sinkKind(config)](config, context);
}
