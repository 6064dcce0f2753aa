/**
 * Test support for the fidelity suite: a real pipeline in this process — the connector (WAL → log)
 * and a sink worker running the real Elasticsearch sink (whole rows) and two Redis cache sinks (JSON
 * and hash values) — over a fresh database with one table, a unique log namespace, keys and index.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import {
  configSchema,
  type DistributaryConfig,
  type ElasticsearchSinkConfig,
  type MaterializedViewSinkConfig,
  type RedisCacheSinkConfig,
} from '@distributary/config';
import { LogKeys, connectRedis, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { createRedisCacheSink, scanKeys } from '@distributary/sink-redis-cache';
import { SinkRunner, rebuildOnOpen } from '@distributary/worker';
import { createTestDatabase, esUrl, redisUrl, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';

export interface FidelityPipeline {
  db: TestDatabase;
  config: DistributaryConfig;
  /** The configuration as a file, for the CLI (`distributary verify --config …`). */
  configFile: string;
  /** The view sinks (options.views), in order; their tables are in schema \`views\`. */
  views: MaterializedViewSinkConfig[];
  redis: RedisClient;
  es: Client;
  /** Cache key prefixes of the JSON and hash caches; ES alias. */
  jsonPrefix: string;
  hashPrefix: string;
  alias: string;
  /** The error the connector stopped with, if it did. */
  connectorError(): unknown;
  /** Stops the connector and starts a new one on the same slot and log. */
  restartConnector(): Promise<void>;
  /** Stops the sink worker and starts a new one (sinks reopened, views rebuilt if their shape changed). */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
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

  const configFile = join(mkdtempSync(join(tmpdir(), 'distributary-fidelity-')), 'distributary.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // JSON is YAML
  let connector = new Connector({ config, logger: silentLogger });
  let failure: unknown;
  const run = (c: Connector): Promise<unknown> =>
    c.run().catch((error: unknown) => {
      failure = error;
    });
  let running = run(connector);
  const runnerRedis = connectRedis({ url: redisUrl() });
  const log = { redis: runnerRedis, keys: new LogKeys(name), partitions: 2 };
  const startRunner = async (): Promise<SinkRunner> => {
    const started = new SinkRunner({
      redis: runnerRedis,
      namespace: name,
      partitions: 2,
      sinks: async () => [
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
      blockMs: 100,
      statusEveryMs: 300,
      leaseTtlMs: 3000,
      memberTtlMs: 3000,
      backoff: { baseMs: 20, capMs: 500 },
      logger: silentLogger,
    });
    await started.start();
    return started;
  };
  let runner = await startRunner();
  const streaming = async (): Promise<unknown> =>
    waitFor('the connector to stream from its slot', async () => {
      const rows = await db.sql('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [name]);
      return rows[0]?.active === true;
    });
  await streaming();
  const redis = connectRedis({ url: redisUrl() });
  const es = new Client({ node: esUrl() });
  return {
    db,
    config,
    configFile,
    views,
    redis,
    es,
    jsonPrefix,
    hashPrefix,
    alias,
    connectorError: () => failure,
    async restartConnector() {
      await connector.stop();
      await running;
      connector = new Connector({ config, logger: silentLogger });
      running = run(connector);
      await streaming();
    },
    async restartWorker() {
      await runner.stop();
      runner = await startRunner();
    },
    async stop() {
      await runner.stop();
      await connector.stop();
      await running;
      runnerRedis.disconnect();
      const keys = await scanKeys(redis, `*${name}*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      await es.indices.delete({ index: `${alias}_v*` }).catch(() => undefined);
      await es.close();
      redis.disconnect();
      await db.drop();
    },
  };
}
