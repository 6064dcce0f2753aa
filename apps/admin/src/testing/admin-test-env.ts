import type { DistributaryConfig } from '@distributary/config';
import { connectRedis, LogKeys, type RedisClient } from '@distributary/changelog';
import { createTestDatabase, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { testConfig } from './pipeline-fixture';

/** Test support: what an admin API test runs against — a throw-away source database with a logical
 *  slot, the shared log Redis under a unique namespace, and the pipeline config over both. */
export interface AdminTestEnv {
  namespace: string;
  slot: string;
  db: TestDatabase;
  redis: RedisClient;
  keys: LogKeys;
  config: DistributaryConfig;
}

export interface AdminTestEnvOptions {
  /** Create `products (id int PRIMARY KEY, name text)` in the source database. */
  productsTable?: boolean;
  partitions?: number;
  sinks?: string[];
  cacheUrl?: string;
}

/** `prefix` names the namespace, the database and (`<prefix>_slot`) the slot. */
export async function openAdminTestEnv(prefix: string, options: AdminTestEnvOptions = {}): Promise<AdminTestEnv> {
  const { productsTable, ...configOptions } = options;
  const namespace = uniqueName(prefix);
  const slot = uniqueName(`${prefix}_slot`);
  const db = await createTestDatabase(prefix);
  if (productsTable) await db.sql(`CREATE TABLE products (id int PRIMARY KEY, name text)`);
  await db.sql(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  const redis = connectRedis({ url: redisUrl() });
  const config = testConfig({ namespace, pgUrl: db.url, redisUrl: redisUrl(), slot, ...configOptions });
  return { namespace, slot, db, redis, keys: new LogKeys(namespace), config };
}

/** Closes the admin (if it started), deletes every key naming the namespace, drops the database. */
export async function closeAdminTestEnv(
  env: AdminTestEnv | undefined,
  admin: { close(): Promise<void> } | undefined,
): Promise<void> {
  await admin?.close();
  if (!env) return;
  const found = await env.redis.keys(`*${env.namespace}*`);
  if (found.length) await env.redis.del(...found);
  env.redis.disconnect();
  await env.db.drop();
}
