/**
 * Test support: a real connector (WAL → a unique log namespace) over a fresh database with a table
 * `items(id, category_id, name, price numeric, meta jsonb)`, and a gateway serving the subscription
 * `items-by-category` (`category_id = :category`, projection id/category_id/name/price/meta).
 */
import { configSchema, type DistributaryConfig, type SubscriptionConfig } from '@distributary/config';
import { connectRedis, LogKeys, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import {
  createTestDatabase,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';
import { Gateway } from '../src';

export const KEY = { kid: 'test-key', secret: 'gateway-test-secret-0123456789abcdef' };
export const SUBSCRIPTION = 'items-by-category';
/** The same filter as a top-N window: `order: price desc`, `limit: TOP_N` (ties by id). */
export const TOP_SUBSCRIPTION = 'top-items-by-category';
export const TOP_N = 3;
export const COLUMNS = 'id, category_id, name, price::text AS price, meta::text AS meta';

/**
 * `items` of one category (`category_id = :category`, projection id/category_id/name/price/meta);
 * with `limit`, the top-N window of them by `price desc` (ties by id).
 */
export function itemsSubscription(name: string, limit?: number): SubscriptionConfig {
  const subscription: SubscriptionConfig = {
    name,
    table: 'public.items',
    filter: 'category_id = :category',
    params: ['category'],
    columns: ['id', 'category_id', 'name', 'price', 'meta'],
  };
  return limit === undefined
    ? subscription
    : { ...subscription, order: [{ column: 'price', direction: 'desc' }], limit };
}

export interface GatewayPipeline {
  db: TestDatabase;
  config: DistributaryConfig;
  url: string;
  /** The filtered SELECT, rendered like the stream's projection (meta parsed from its text). */
  expected(category: number): Promise<Record<string, unknown>[]>;
  /** `SELECT … WHERE category_id = $1 ORDER BY price DESC, id LIMIT TOP_N`, ordered by id. */
  expectedTop(category: number): Promise<Record<string, unknown>[]>;
  /** Entries in the log (all partitions). */
  logLength(): Promise<number>;
  /** Stops the connector (the log stops growing; the slot keeps the changes). */
  pauseConnector(): Promise<void>;
  /** Starts a connector again: it logs what the slot kept. */
  resumeConnector(): void;
  stop(): Promise<void>;
}

export async function startGatewayPipeline(
  options: { maxBufferBytes?: number; afterTimeout?: string } = {},
  /** K of the gateway's top-N windows (GatewayOptions.topNSpare). */
  topNSpare?: number,
): Promise<GatewayPipeline> {
  const db = await createTestDatabase('gateway');
  const name = uniqueName('gateway');
  await db.sql(
    `CREATE TABLE items (id int PRIMARY KEY, category_id int, name text NOT NULL, price numeric(12,2), meta jsonb)`,
  );
  const config = configSchema.parse({
    source: {
      postgres: { url: db.url, slot: name, publication: name, heartbeat: '1s' },
      tables: ['public.items'],
      connector: { statusEvery: '200ms', leaseTtl: '3s', leaseRenew: '1s' },
    },
    log: { redis: { url: redisUrl() }, namespace: name, partitions: 2 },
    gateway: { keys: [KEY], heartbeat: '1s', ...options },
    subscriptions: [itemsSubscription(SUBSCRIPTION), itemsSubscription(TOP_SUBSCRIPTION, TOP_N)],
  });
  let connector = new Connector({ config, logger: silentLogger });
  let running = connector.run().catch(() => undefined);
  await waitFor('the connector to stream from its slot', async () => {
    return await slotStreaming(db, name);
  });
  const redis: RedisClient = connectRedis({ url: redisUrl() });
  const keys = new LogKeys(name);
  const gateway = new Gateway({
    gateway: config.gateway!,
    subscriptions: config.subscriptions ?? [],
    redis,
    namespace: name,
    partitions: 2,
    sourceUrl: db.url,
    port: 0,
    topNSpare,
  });
  const port = await gateway.start();
  return {
    db,
    config,
    url: `http://127.0.0.1:${port}`,
    async expected(category) {
      const rows = await db.sql(`SELECT ${COLUMNS} FROM items WHERE category_id = $1 ORDER BY id`, [category]);
      return rows.map((r) => ({ ...r, meta: r.meta === null ? null : JSON.parse(r.meta as string) }));
    },
    async expectedTop(category) {
      const rows = await db.sql(
        `SELECT * FROM (SELECT ${COLUMNS} FROM items WHERE category_id = $1 ORDER BY items.price DESC, id LIMIT ${TOP_N}) t ORDER BY id`,
        [category],
      );
      return rows.map((r) => ({ ...r, meta: r.meta === null ? null : JSON.parse(r.meta as string) }));
    },
    async logLength() {
      let total = 0;
      for (let partition = 0; partition < 2; partition++) total += await redis.xlen(keys.partition(partition));
      return total;
    },
    async pauseConnector() {
      await connector.stop();
      await running;
    },
    resumeConnector() {
      connector = new Connector({ config, logger: silentLogger });
      running = connector.run().catch(() => undefined);
    },
    async stop() {
      await gateway.stop();
      await connector.stop();
      await running;
      const leftovers: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = (await redis.scan(cursor, 'MATCH', `*${name}*`, 'COUNT', 1000)) as [string, string[]];
        leftovers.push(...found);
        cursor = next;
      } while (cursor !== '0');
      for (const key of leftovers) await redis.del(key);
      redis.disconnect();
      await db.drop();
    },
  };
}
