import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/pg-source';
import { clusterNodes, createTestDatabase, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';

/**
 * Order per key across Redis Cluster MOVED mid-stream: on the local 3-node cluster, the slot of one
 * partition's stream is migrated to another master while single-row updates stream (small batches,
 * appends in flight), and back again. Calls answered MOVED/ASK must never leave a later call landing
 * before them: every key's versions in the log exactly once and in commit order.
 */
const PARTITIONS = 2;
const KEYS = 8;
const UPDATES = 600;
let db: TestDatabase;
let redis: RedisClient;
const nodes = clusterNodes().map((n) => new Redis(n.port, n.host));

beforeAll(async () => {
  db = await createTestDatabase('logmoved');
  redis = connectRedis({ cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) });
  await db.sql(`CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)`);
});

afterAll(async () => {
  redis.disconnect();
  for (const node of nodes) node.disconnect();
  await db.drop();
});

/** The master serving `slot` (index into nodes). */
async function ownerOf(slot: number): Promise<number> {
  const ranges = (await nodes[0].cluster('SLOTS')) as unknown as [number, number, [string, number]][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  if (!range) throw new Error(`slot ${slot} unassigned`);
  return nodes.findIndex((n) => n.options.port === range[2][1]);
}

/** Migrates one slot (with its keys) to another master, the way redis-cli --cluster reshard does. */
async function moveSlot(slot: number, to: number): Promise<void> {
  const from = await ownerOf(slot);
  if (from === to) return;
  const fromId = (await nodes[from].cluster('MYID')) as string;
  const toId = (await nodes[to].cluster('MYID')) as string;
  await nodes[to].cluster('SETSLOT', slot, 'IMPORTING', fromId);
  await nodes[from].cluster('SETSLOT', slot, 'MIGRATING', toId);
  for (;;) {
    const keys = (await nodes[from].cluster('GETKEYSINSLOT', slot, 100)) as string[];
    if (keys.length === 0) break;
    await nodes[from].migrate('127.0.0.1', nodes[to].options.port as number, '', 0, 10_000, 'KEYS', ...keys);
  }
  for (const index of [to, from, ...[0, 1, 2].filter((i) => i !== to && i !== from)])
    await nodes[index].cluster('SETSLOT', slot, 'NODE', toId);
}

describe('log order across Redis Cluster MOVED', () => {
  it('keeps every key in commit order, without gap or duplicate', async () => {
    const slotName = uniqueName('slot');
    const namespace = uniqueName('order');
    const config = configSchema.parse({
      source: {
        postgres: { url: db.url, slot: slotName, publication: slotName, snapshot: 'never' },
        tables: ['public.t'],
        connector: { batchSize: 5 },
      },
      log: {
        redis: { cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) },
        namespace,
        partitions: PARTITIONS,
      },
    });
    const connector = new Connector({ config, logger: silentLogger });
    void connector.run();
    const stream = new LogKeys(namespace).partition(0);
    const slot = (await nodes[0].cluster('KEYSLOT', stream)) as number;
    const home = await ownerOf(slot);
    try {
      await waitFor('streaming', async () => {
        const rows = await db.sql(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [slotName]);
        return connector.role === 'leader' && rows[0]?.active === true;
      });
      await db.sql(`INSERT INTO t SELECT g, 0 FROM generate_series(1, ${KEYS}) AS g`);
      for (let i = 0; i < UPDATES; i++) {
        await db.sql(`UPDATE t SET v = v + 1 WHERE id = ${(i % KEYS) + 1}`);
        if (i === UPDATES / 3) await moveSlot(slot, (home + 1) % 3);
        if (i === (2 * UPDATES) / 3) await moveSlot(slot, home);
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
    } finally {
      await connector.stop();
      await moveSlot(slot, home);
      const keys = new LogKeys(namespace);
      for (const key of [keys.transactions(), keys.meta(), keys.partition(0), keys.partition(1)]) await redis.del(key);
    }
  }, 300_000);
});
