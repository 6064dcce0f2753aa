/**
 * Test support for the fidelity suite: a real pipeline in this process — the connector (WAL → log)
 * and a sink worker running the real Elasticsearch sink (whole rows) and two Redis cache sinks (JSON
 * and hash values) — over a fresh database with one table, a unique log namespace, keys and index.
 */
import {
  configSchema,
  type DistributaryConfig,
  type ElasticsearchSinkConfig,
  type MaterializedViewSinkConfig,
  type RedisCacheSinkConfig,
} from '@distributary/config';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { createRedisCacheSink } from '@distributary/sink-redis-cache';
import { rebuildOnOpen } from '@distributary/worker';
import { createTestDatabase, esUrl, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { startInProcessPipeline, type InProcessPipeline } from '../harness/in-process-pipeline';

/** The in-process pipeline (config file, clients, connector error, restarts — a restarted worker
 *  rebuilds views whose shape changed — and stop) with the fidelity run's database and names. */
export interface FidelityPipeline extends InProcessPipeline {
  db: TestDatabase;
  config: DistributaryConfig;
  /** The view sinks (options.views), in order; their tables are in schema \`views\`. */
  views: MaterializedViewSinkConfig[];
  /** Cache key prefixes of the JSON and hash caches; ES alias. */
  jsonPrefix: string;
  hashPrefix: string;
  alias: string;
}

export interface FidelityOptions {
  /** Materialized views over `table` (names become sink names and tables views.<name>). */
  views?: { name: string; sql: string }[];
}

/** `ddl` creates the table `table` (schema-qualified) in a fresh database; keys are `{id}`.
 *  `mappings`: the Elasticsearch index mappings (default: dynamic). */
export async function startFidelityPipeline(
  ddl: string,
  table: string,
  mappings?: Record<string, unknown>,
  options: FidelityOptions = {},
): Promise<FidelityPipeline> {
  const db = await createTestDatabase('fidelity');
  await db.sql(ddl);
  const name = uniqueName('fidelity');
  const jsonPrefix = `${name}:json:`;
  const hashPrefix = `${name}:hash:`;
  const alias = name;
  const config = configSchema.parse({
    source: {
      postgres: { url: db.url, slot: name, publication: name, heartbeat: '1s' },
      tables: [table],
      connector: { statusEvery: '200ms', leaseTtl: '3s', leaseRenew: '1s' },
    },
    log: { redis: { url: redisUrl() }, namespace: name, partitions: 2 },
    sinks: [
      {
        name: 'search',
        elasticsearch: { url: esUrl(), index: alias, bulk: { linger: '10ms' }, ...(mappings ? { mappings } : {}) },
        from: table,
        id: '{id}',
      },
      {
        name: 'json-cache',
        redis: { url: redisUrl() },
        from: table,
        key: `${jsonPrefix}{id}`,
        namespace: `${name}:state:json`,
      },
      {
        name: 'hash-cache',
        redis: { url: redisUrl() },
        from: table,
        key: `${hashPrefix}{id}`,
        namespace: `${name}:state:hash`,
        value: { format: 'hash' },
      },
      ...(options.views ?? []).map((view) => ({
        name: view.name,
        view: { postgres: db.url, table: `views.${view.name.replace(/-/g, '_')}` },
        sql: view.sql,
      })),
    ],
  });
  const [search, jsonCache, hashCache, ...views] = config.sinks as [
    ElasticsearchSinkConfig,
    RedisCacheSinkConfig,
    RedisCacheSinkConfig,
    ...MaterializedViewSinkConfig[],
  ];

  const pipeline = await startInProcessPipeline({
    db,
    name,
    config,
    alias,
    configDirPrefix: 'distributary-fidelity-',
    sinks: async (log) => [
      createElasticsearchSink(search, { source: new PgSourceRows(db.url), pipeline: name }),
      createRedisCacheSink(jsonCache, { pipeline: name }),
      createRedisCacheSink(hashCache, { pipeline: name }),
      // The pipeline's identity is its log namespace, as in the worker (and verify --repair).
      // As the worker does: a view whose shape changed is rebuilt from the compacted log when it opens.
      ...(await Promise.all(
        views.map(async (view) =>
          rebuildOnOpen(await createMaterializedViewSink(view, { sourceUrl: db.url, pipeline: name }), log),
        ),
      )),
    ],
  });
  return { ...pipeline, db, config, views, jsonPrefix, hashPrefix, alias };
}
