import { Client as EsClient } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type DistributaryConfig } from '@distributary/config';
import { LogKeys, connectRedis, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import {
  createTestDatabase,
  deleteNamespace,
  esUrl,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';
import { SinkRunner } from './sink-runner';
import { createSink } from './create-sink';

let db: TestDatabase;
let redis: RedisClient;
const es = new EsClient({ node: esUrl() });
const run = uniqueName('twopipes');
const pipelines: { config: DistributaryConfig; connector: Connector; runner: SinkRunner }[] = [];

function pipelineConfig(letter: string): DistributaryConfig {
  const namespace = `${run}_${letter}`;
  return configSchema.parse({
    source: {
      postgres: { url: db.url, slot: `${namespace}_slot`, publication: `${namespace}_pub`, snapshot: 'never' },
      tables: ['public.orders'],
      connector: { statusEvery: '500ms' },
    },
    log: { redis: { url: redisUrl() }, namespace, partitions: 2 },
    sinks: [
      {
        name: 'search',
        elasticsearch: { url: esUrl(), index: `${namespace}_orders`, settings: { number_of_replicas: 0 } },
        from: 'public.orders',
        id: '{id}',
        document: { status: 'status' },
      },
      { name: 'cache', redis: { url: redisUrl() }, from: 'public.orders', key: `${namespace}:order:{id}` },
      {
        name: 'by-status',
        view: { postgres: db.url, table: `public.${namespace}_by_status` },
        sql: 'SELECT status, count(*) AS n FROM public.orders GROUP BY status',
      },
    ],
  });
}

beforeAll(async () => {
  db = await createTestDatabase('twopipes');
  redis = connectRedis({ url: redisUrl() });
  await db.sql('CREATE TABLE orders (id int PRIMARY KEY, status text)');
  for (const letter of ['a', 'b']) {
    const config = pipelineConfig(letter);
    const connector = new Connector({ config, logger: silentLogger });
    void connector.run();
    await waitFor(
      `pipeline ${letter}: the connector streams`,
      async () => {
        return await slotStreaming(db, config.source.postgres.slot);
      },
      { timeoutMs: 120_000 },
    );
    const keys = new LogKeys(config.log.namespace);
    const log = { redis, keys, partitions: config.log.partitions };
    const runner = new SinkRunner({
      redis,
      namespace: config.log.namespace,
      partitions: config.log.partitions,
      sinks: () => Promise.all(config.sinks.map((sink) => createSink(sink, { sourceUrl: db.url, log }))),
      blockMs: 100,
      statusEveryMs: 200,
      backoff: { baseMs: 5, capMs: 100 },
    });
    await runner.start();
    pipelines.push({ config, connector, runner });
  }
}, 300_000);

afterAll(async () => {
  for (const { config, connector, runner } of pipelines) {
    await runner.stop();
    await connector.stop();
    await deleteNamespace(redis, config.log.namespace);
    await es.indices.delete({ index: `${config.log.namespace}_orders*`, ignore_unavailable: true });
  }
  const cached = await redis.keys(`distributary:${run}_*`);
  if (cached.length) await redis.del(...cached);
  for (const letter of ['a', 'b']) {
    const values = await redis.keys(`${run}_${letter}:order:*`);
    if (values.length) await redis.del(...values);
  }
  redis.disconnect();
  await es.close();
  await db?.drop();
});

async function state(config: DistributaryConfig) {
  const ns = config.log.namespace;
  await es.indices.refresh({ index: `${ns}_orders` });
  const hits = (await es.search({ index: `${ns}_orders`, size: 100, query: { match_all: {} } })).hits.hits;
  const search = hits.map((h) => `${h._id}=${(h._source as { status: string }).status}`).sort();
  const cache: string[] = [];
  for (const id of [1, 2, 3]) {
    const value = await redis.get(`${ns}:order:${id}`);
    if (value) cache.push(`${id}=${(JSON.parse(value) as { status: string }).status}`);
  }
  const view = (await db.sql<{ status: string; n: string }>(`SELECT status, n::text AS n FROM public.${ns}_by_status`))
    .map((r) => `${r.status}=${r.n}`)
    .sort();
  return { search, cache, view };
}

/**
 * Two pipelines (own slot, own log namespace) with IDENTICAL sink names against the same PostgreSQL,
 * Redis and Elasticsearch: an Elasticsearch sink, a Redis cache and a materialized view each. Both
 * stay exact through inserts, updates and deletes (the issue: the second pipeline "rebuilt" the
 * first one's view, re-aliased its index and shared its cache bookkeeping).
 */
describe('two pipelines with identical sink names on shared stores', () => {
  it('both stay exact', async () => {
    await db.sql(`INSERT INTO orders VALUES (1, 'paid'), (2, 'open'), (3, 'paid')`);
    await db.sql(`UPDATE orders SET status = 'void' WHERE id = 2`);
    await db.sql(`DELETE FROM orders WHERE id = 3`);
    const expected = { search: ['1=paid', '2=void'], cache: ['1=paid', '2=void'], view: ['paid=1', 'void=1'] };
    for (const { config } of pipelines) {
      await waitFor(
        `pipeline ${config.log.namespace} to be exact`,
        async () => JSON.stringify(await state(config)) === JSON.stringify(expected),
        { timeoutMs: 120_000, intervalMs: 250 },
      );
      expect(await state(config)).toEqual(expected);
    }
  });
});
