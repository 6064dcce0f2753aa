import Redis from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { LogKeys, connectRedis, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import { clusterNodes, createTestDatabase, uniqueName, type TestDatabase } from '@distributary/testkit';
import { expectCommitOrderThrough, orderConfig, UPDATES } from './log-order-scenario';

/**
 * Order per key across Redis Cluster MOVED mid-stream (log-order-scenario.ts): on the local 3-node
 * cluster, the slot of one partition's stream is migrated to another master while the updates stream,
 * and back again. Calls answered MOVED/ASK must never leave a later call landing before them: every
 * key's versions in the log exactly once and in commit order.
 *
 * The namespace is chosen so that partition 0's stream is alone on its master and shares the master it
 * moves to with another stream of the log. The way back then answers MOVED to one call of a pipeline
 * whose other calls succeed: ioredis resolves such a pipeline without learning the new slot owner, and
 * before the appender refreshed the slot map itself every replay failed on the same MOVED for ever
 * (the flake of the CI rehearsal, where the namespace's placement was left to chance).
 */
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
/** A namespace whose partition-0 stream is alone on its master and not alone on the next one. */
async function namespaceAloneAtHome(): Promise<string> {
  for (;;) {
    const namespace = uniqueName('order');
    const keys = new LogKeys(namespace);
    const nodeOf = async (key: string) => ownerOf((await nodes[0].cluster('KEYSLOT', key)) as number);
    const home = await nodeOf(keys.partition(0));
    const others = [await nodeOf(keys.partition(1)), await nodeOf(keys.transactions())];
    if (!others.includes(home) && others.includes((home + 1) % 3)) return namespace;
  }
}

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
    const namespace = await namespaceAloneAtHome();
    const logRedis = { cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) };
    const config = orderConfig(db, logRedis, namespace, slotName);
    const connector = new Connector({ config, logger: silentLogger });
    void connector.run();
    const stream = new LogKeys(namespace).partition(0);
    const slot = (await nodes[0].cluster('KEYSLOT', stream)) as number;
    const home = await ownerOf(slot);
    try {
      await expectCommitOrderThrough(connector, db, redis, namespace, slotName, async (i) => {
        if (i === UPDATES / 3) await moveSlot(slot, (home + 1) % 3);
        if (i === (2 * UPDATES) / 3) await moveSlot(slot, home);
      });
    } finally {
      await connector.stop();
      await moveSlot(slot, home);
      const keys = new LogKeys(namespace);
      for (const key of [keys.transactions(), keys.meta(), keys.partition(0), keys.partition(1)]) await redis.del(key);
    }
  }, 300_000);
});
