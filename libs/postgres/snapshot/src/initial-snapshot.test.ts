import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareIds, positionToId, type ChangeEvent } from '@distributary/core';
import { LogKeys } from '@distributary/changelog';
import { createRawTextPool, createSlotWithExportedSnapshot, TypeResolver } from '@distributary/pg-catalog';
import { createTestDatabase, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { initialSnapshotRecord, initialSnapshotState } from '@distributary/control';
import { runInitialSnapshot } from './initial-snapshot';

describe('initial snapshot', () => {
  let db: TestDatabase;
  let redis: Redis;
  beforeAll(async () => {
    db = await createTestDatabase('snap');
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    await db.sql(`CREATE TABLE a (id int PRIMARY KEY, big int8, price numeric(12,2), at timestamptz, tags text[])`);
    await db.sql(`CREATE TABLE b (tenant text, n int, payload jsonb, PRIMARY KEY (tenant, n))`);
    await db.sql(
      `INSERT INTO a SELECT g, 9007199254740993 + g, g * 1.25, '2024-01-02 03:04:05.123456+00', ARRAY['x', 'y,' || g] FROM generate_series(1, 1234) g`,
    );
    await db.sql(`INSERT INTO b SELECT 't' || (g % 3), g, jsonb_build_object('g', g) FROM generate_series(1, 555) g`);
  });
  afterAll(async () => {
    await redis.quit();
    await db.drop();
  });

  it('reads every table inside the exported snapshot, once, at the consistent point, with exact values', async () => {
    const keys = new LogKeys(uniqueName('ns'));
    const slot = await createSlotWithExportedSnapshot(db.url, uniqueName('slot'));
    const pool = createRawTextPool(db.url, { max: 4 });
    const events: ChangeEvent[] = [];
    try {
      // Written after the slot's consistent point: must not be in the snapshot (the stream carries it).
      await db.sql(`UPDATE a SET price = 0 WHERE id = 1`);
      await db.sql(`INSERT INTO a VALUES (99999, 1, 1, now(), '{}')`);
      const result = await runInitialSnapshot({
        pool,
        types: new TypeResolver(pool),
        tables: ['public.a', 'public.b'],
        lsn: slot.consistentPointLsn,
        snapshotName: slot.snapshotName,
        onSnapshotImported: () => slot.release(),
        append: async (batch) => {
          events.push(...batch);
        },
        state: initialSnapshotRecord(redis, keys),
        concurrency: 2,
        chunkSize: 100,
      });
      expect(result.rows).toBe(1234 + 555);
      expect(events.filter((e) => e.table === 'public.a')).toHaveLength(1234);
      expect(events.filter((e) => e.table === 'public.b')).toHaveLength(555);
      // one LSN below the consistent point: a commit may start right there (lsnJustBefore)
      expect(events.every((e) => e.op === 'r' && e.pos.lsn === slot.consistentPointLsn - 1n)).toBe(true);
      const ids = events.map((e) => positionToId(e.pos));
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort(compareIds)).toEqual(ids);
      const first = events.find((e) => e.table === 'public.a' && e.key.id === 1);
      expect(first?.after).toEqual({
        id: 1,
        big: '9007199254740994',
        price: '1.25',
        at: '2024-01-02T03:04:05.123456Z',
        tags: ['x', 'y,1'],
      });
      expect(events.some((e) => e.key.id === 99999)).toBe(false);
      expect(events.find((e) => e.table === 'public.b' && e.key.n === 7)?.key).toEqual({ tenant: 't1', n: 7 });
      expect((await initialSnapshotState(redis, keys)).state).toBe('done');
    } finally {
      await slot.release();
      await pool.end();
      await db.sql(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [
        slot.slot,
      ]);
      const leftovers = await redis.keys(`{${keys.namespace}:*`);
      if (leftovers.length) await redis.del(...leftovers);
    }
  });

  it('resumes after a crash without re-reading finished chunks and ends with every row', async () => {
    const keys = new LogKeys(uniqueName('ns'));
    const pool = createRawTextPool(db.url, { max: 2 });
    const types = new TypeResolver(pool);
    const seen = new Map<string, number>();
    const record = (batch: ChangeEvent[]) => {
      for (const e of batch)
        seen.set(JSON.stringify([e.table, e.key]), (seen.get(JSON.stringify([e.table, e.key])) ?? 0) + 1);
    };
    try {
      let appended = 0;
      await expect(
        runInitialSnapshot({
          pool,
          types,
          tables: ['public.a'],
          lsn: 1000n,
          append: async (batch) => {
            if (appended === 3) throw new Error('simulated crash');
            appended++;
            record(batch);
          },
          state: initialSnapshotRecord(redis, keys),
          concurrency: 1,
          chunkSize: 200,
        }),
      ).rejects.toThrow('simulated crash');
      expect((await initialSnapshotState(redis, keys)).state).toBe('running');
      const secondRun: ChangeEvent[] = [];
      const result = await runInitialSnapshot({
        pool,
        types,
        tables: ['public.a'],
        lsn: 2000n, // ignored on resume: the persisted position (just below the first consistent point) wins
        append: async (batch) => {
          secondRun.push(...batch);
          record(batch);
        },
        state: initialSnapshotRecord(redis, keys),
        chunkSize: 200,
      });
      expect(result.resumed).toBe(true);
      const total = Number((await db.sql<{ n: string }>(`SELECT count(*)::text AS n FROM a`))[0].n);
      expect(secondRun).toHaveLength(total - 3 * 200);
      expect(secondRun[0].key.id).toBe(601);
      expect(secondRun.every((e) => e.pos.lsn === 999n && e.pos.seq >= 600)).toBe(true);
      expect(seen.size).toBe(total);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await pool.end();
      const leftovers = await redis.keys(`{${keys.namespace}:*`);
      if (leftovers.length) await redis.del(...leftovers);
    }
  });
});
