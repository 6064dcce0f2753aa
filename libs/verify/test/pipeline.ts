/**
 * Test support: a real pipeline in this process — the connector (WAL → log) and a sink worker running
 * the real Elasticsearch, Redis cache and materialized-view sinks — over a fresh database, a unique
 * log namespace, unique cache keys and a unique index.
 */
import type { Client } from '@elastic/elasticsearch';
import {
  configSchema,
  type DistributaryConfig,
  type ElasticsearchSinkConfig,
  type MaterializedViewSinkConfig,
  type RedisCacheSinkConfig,
} from '@distributary/config';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { createRedisCacheSink } from '@distributary/sink-redis-cache';
import { createTestDatabase, esUrl, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { startInProcessPipeline } from '../../../test/harness/in-process-pipeline';

export const VIEWER = 'verify-viewer-token';
export const OPERATOR = 'verify-operator-token';

export interface Pipeline {
  db: TestDatabase;
  config: DistributaryConfig;
  configFile: string;
  redis: RedisClient;
  keys: LogKeys;
  es: Client;
  prefix: string;
  alias: string;
  sinks: { search: ElasticsearchSinkConfig; cache: RedisCacheSinkConfig; sales: MaterializedViewSinkConfig };
  stop(): Promise<void>;
}

export async function startPipeline(): Promise<Pipeline> {
  const db = await createTestDatabase('verify');
  const name = uniqueName('verify');
  await db.sql(`
    CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, category_id int, active boolean NOT NULL,
      spec jsonb);
    CREATE TABLE orders (id int PRIMARY KEY, category_id int NOT NULL, amount numeric(10,2) NOT NULL);
    CREATE SCHEMA analytics;
  `);
  const prefix = `cache-${name}:`; // not under the log namespace (config refuses keys that could collide)
  const alias = name.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  const config = configSchema.parse({
    source: {
      postgres: { url: db.url, slot: name, publication: name, heartbeat: '1s' },
      tables: ['public.products', 'public.orders'],
      connector: { statusEvery: '200ms', leaseTtl: '3s', leaseRenew: '1s' },
    },
    log: { redis: { url: redisUrl() }, namespace: name, partitions: 2 },
    admin: {
      host: '127.0.0.1',
      tokens: [
        { token: VIEWER, role: 'viewer' },
        { token: OPERATOR, role: 'operator' },
      ],
    },
    sinks: [
      {
        name: 'search',
        elasticsearch: { url: esUrl(), index: alias, bulk: { linger: '10ms' } },
        from: 'public.products',
        id: '{id}',
        document: { title: 'name', price: { expr: '$number(price)' }, category: 'category_id' },
      },
      {
        name: 'cache',
        redis: { url: redisUrl() },
        from: 'public.products',
        key: `${prefix}product:{id}`,
        namespace: `${prefix}state`, // the sink's row records: unique per test run like every other key
        filter: 'active = true',
        queries: [{ key: `${prefix}category:{category_id}`, score: 'price' }],
      },
      {
        name: 'sales',
        view: { postgres: db.url, table: 'analytics.sales' },
        sql: 'SELECT category_id, count(*) AS orders, sum(amount) AS revenue FROM public.orders GROUP BY category_id',
      },
    ],
  });
  const [search, cache, sales] = config.sinks as [
    ElasticsearchSinkConfig,
    RedisCacheSinkConfig,
    MaterializedViewSinkConfig,
  ];
  const pipeline = await startInProcessPipeline({
    db,
    name,
    config,
    alias,
    configDirPrefix: 'distributary-verify-',
    sinks: async () => [
      // The pipeline's identity is its log namespace, as in the worker (the CLI's verify opens them so too).
      createElasticsearchSink(search, { source: new PgSourceRows(db.url), pipeline: name }),
      createRedisCacheSink(cache, { pipeline: name }),
      await createMaterializedViewSink(sales, { sourceUrl: db.url, pipeline: name }),
    ],
  });
  // This build's connector streams only (no initial snapshot wired): write the rows once it streams.
  await db.sql(`
    INSERT INTO products SELECT i, 'product ' || i, (i * 1.25)::numeric(10,2), i % 3, i % 5 <> 0,
      ('{"big": 1234567890123456789' || i || ', "tiny": 1.00000000000000000000' || i || '}')::jsonb FROM generate_series(1, 20) i;
    INSERT INTO orders SELECT i, i % 4, (i * 2.5)::numeric(10,2) FROM generate_series(1, 30) i;
  `);
  return {
    db,
    config,
    configFile: pipeline.configFile,
    redis: pipeline.redis,
    keys: pipeline.keys,
    es: pipeline.es,
    prefix,
    alias,
    sinks: { search, cache, sales },
    stop: () => pipeline.stop(),
  };
}
