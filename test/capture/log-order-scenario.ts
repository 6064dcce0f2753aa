import { expect } from 'vitest';
import { configSchema, type DistributaryConfig } from '@distributary/config';
import { LogKeys, toLogEntry, type RedisClient } from '@distributary/changelog';
import { waitFor, type TestDatabase, slotStreaming } from '@distributary/testkit';

/**
 * The log-order scenario both capture tests run under a different disruption: single-row updates of a
 * few keys of `t (id int PRIMARY KEY, v int NOT NULL)` stream through a connector with small batches
 * (appends in flight) while `disrupt` strikes; then every key's versions must be in the log exactly
 * once each and in the source's commit order: v = 0, 1, 2, … with no gap, no repeat, no swap.
 */
export const PARTITIONS = 2;
export const KEYS = 8;
export const UPDATES = 600;

/** A connector's config over `db`'s table t, slot `slot`, batches of 5, into the log Redis `logRedis`. */
export function orderConfig(
  db: TestDatabase,
  logRedis: { url: string } | { cluster: string[] },
  namespace: string,
  slot: string,
): DistributaryConfig {
  return configSchema.parse({
    source: {
      postgres: { url: db.url, slot, publication: slot, snapshot: 'never' },
      tables: ['public.t'],
      connector: { batchSize: 5 },
    },
    log: { redis: logRedis, namespace, partitions: PARTITIONS },
  });
}

/** Waits for `connector` to stream from `slot`, writes the keys and their updates (calling
 *  `disrupt(i)` after update i), then checks the log of `namespace` read through `redis`. */
export async function expectCommitOrderThrough(
  connector: { readonly role: string },
  db: TestDatabase,
  redis: RedisClient,
  namespace: string,
  slot: string,
  disrupt: (update: number) => Promise<void>,
): Promise<void> {
  await waitFor('streaming', async () => {
    return connector.role === 'leader' && (await slotStreaming(db, slot));
  });
  await db.sql(`INSERT INTO t SELECT g, 0 FROM generate_series(1, ${KEYS}) AS g`);
  for (let i = 0; i < UPDATES; i++) {
    await db.sql(`UPDATE t SET v = v + 1 WHERE id = ${(i % KEYS) + 1}`);
    await disrupt(i);
  }
  const keys = new LogKeys(namespace);
  const events = await waitFor(
    `${KEYS + UPDATES} events`,
    async () => {
      const all = [];
      for (let p = 0; p < PARTITIONS; p++)
        all.push(...((await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]).map(toLogEntry));
      return all.length >= KEYS + UPDATES ? all.map((e) => e.event) : undefined;
    },
    { timeoutMs: 180_000 },
  );
  expect(events).toHaveLength(KEYS + UPDATES);
  for (let id = 1; id <= KEYS; id++) {
    // stream order within a partition is ID order; every event of a key is in one partition
    const versions = events.filter((e) => e.key.id === id).map((e) => e.after?.v);
    expect(versions).toEqual(Array.from({ length: UPDATES / KEYS + 1 }, (_, v) => v));
  }
}
