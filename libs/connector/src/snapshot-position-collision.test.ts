import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import { SnapshotRequests, requestSnapshot } from '@distributary/control';
import {
  createTestDatabase,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';
import { confirmedCurrentWal, connectorUnderTest } from '../test/connector-under-test';

/**
 * (The initial snapshot's rows at the slot's consistent point had the same hole; their position, one
 * below the consistent point, is asserted by libs/postgres/snapshot's initial-snapshot and
 * parallel-ranges tests. An end-to-end case like the one below reproduced it on the old tree, 1 row
 * missing, but a commit lands exactly at a consistent point too rarely under load to test for it.)
 *
 * pgoutput gives a logical message's END LSN (pg_logical_emit_message returns it too), and the next
 * WAL record starts exactly there. When that record is another transaction's COMMIT, its events are
 * `<M>-0`, `<M>-1`, …, the very IDs an incremental snapshot's chunk rows took when they were placed at
 * the high watermark's LSN M: the chunk rows were appended first, and the transaction's events were
 * refused as "already in the log" — the transaction was lost (chaos-short, session 7: a DELETE that
 * never reached any sink). Here transactions wait between their INSERT and their COMMIT, so many high
 * marks are followed directly by a COMMIT record; every committed row must be in the log.
 */
const PARTITIONS = 4;
let db: TestDatabase;
let redis: RedisClient;

beforeAll(async () => {
  db = await createTestDatabase('snapcollide');
  redis = connectRedis({ url: redisUrl() });
  await db.sql(`CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL)`);
  await db.sql(`INSERT INTO items SELECT g, g FROM generate_series(1, 300) g`);
  await db.sql(`CREATE TABLE other (id bigserial PRIMARY KEY, v int NOT NULL)`);
});

afterAll(async () => {
  redis?.disconnect();
  await db?.drop();
});

/**
 * Two connections, each in a loop: BEGIN; INSERT one row; a few ms; COMMIT. Most of the time one of them
 * sits between its INSERT and its COMMIT, so a watermark emitted then is followed directly in the WAL by
 * a COMMIT record.
 */
function startInserts(): { stop(): Promise<void> } {
  let running = true;
  const loop = async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      while (running) {
        await client.query('BEGIN');
        await client.query(`INSERT INTO other (v) VALUES (1)`);
        await new Promise((resolve) => setTimeout(resolve, 3));
        await client.query('COMMIT');
      }
    } finally {
      await client.end();
    }
  };
  const done = Promise.all([loop(), loop()]);
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Every event of the log: the LSNs that snapshot rows took, the `other` rows, and the commit LSNs of their changes. */
async function readLog(
  namespace: string,
): Promise<{ chunkLsns: Set<bigint>; otherIds: Set<string>; otherLsns: bigint[] }> {
  const keys = new LogKeys(namespace);
  const chunkLsns = new Set<bigint>();
  const otherIds = new Set<string>();
  const otherLsns: bigint[] = [];
  for (let p = 0; p < PARTITIONS; p++)
    for (const raw of (await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]) {
      const { event } = toLogEntry(raw);
      if (event.op === 'r') chunkLsns.add(event.pos.lsn);
      else if (event.table === 'public.other') otherLsns.push(event.pos.lsn);
      if (event.table === 'public.other') otherIds.add(String(event.key.id));
    }
  return { chunkLsns, otherIds, otherLsns };
}

describe('snapshot rows and a commit at the same WAL position', () => {
  it('a transaction whose commit record directly follows a high watermark keeps every event', async () => {
    const namespace = uniqueName('collide');
    const slot = uniqueName('slot');
    const keys = new LogKeys(namespace);
    const connector = connectorUnderTest({
      db,
      namespace,
      slot,
      tables: ['public.items', 'public.other'],
      snapshot: 'never',
      partitions: PARTITIONS,
    });
    const run = connector.run();
    let inserts: { stop(): Promise<void> } | undefined;
    try {
      const streaming = async () => slotStreaming(db, slot);
      await waitFor('the connector to stream', streaming, { timeoutMs: 60_000 });
      inserts = startInserts();
      const requests = new SnapshotRequests(redis, keys);
      // Chunks of 5 rows: 60 high marks per snapshot, many of them followed directly by a COMMIT record
      // of the inserts. Snapshots until one such commit is in the log (or 5 of them).
      for (let round = 0; round < 5; round++) {
        const record = await requestSnapshot(redis, keys, { table: 'public.items', chunkSize: 5, reason: 'test' });
        await waitFor(
          'the snapshot to finish',
          async () => {
            const current = await requests.get(record.id);
            if (current?.status === 'failed') throw new Error(`snapshot failed: ${current.error}`);
            return current?.status === 'done' ? current : undefined;
          },
          { timeoutMs: 90_000 },
        );
        const { chunkLsns, otherLsns } = await readLog(namespace);
        // chunk rows sit one below the high mark's LSN: a commit AT the high mark is one above them
        if (otherLsns.some((lsn) => chunkLsns.has(lsn - 1n))) break;
      }
      await inserts.stop();
      await confirmedCurrentWal(db, redis, namespace);
      const { chunkLsns, otherIds, otherLsns } = await readLog(namespace);
      const sourceIds = (await db.sql<{ id: string }>(`SELECT id::text AS id FROM other`)).map((r) => r.id);
      const missing = sourceIds.filter((id) => !otherIds.has(id));
      expect(missing.slice(0, 10), `${missing.length} committed rows missing from the log`).toEqual([]);
      expect(otherIds.size).toBe(sourceIds.length);
      // the test exercised the case: at least one transaction committed right at a high watermark
      expect(otherLsns.filter((lsn) => chunkLsns.has(lsn - 1n)).length).toBeGreaterThan(0);
    } finally {
      await inserts?.stop();
      await connector.stop();
      await run.catch(() => undefined);
    }
  }, 300_000);
});
