import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareIds, positionToId, type ChangeEvent } from '@distributary/core';
import { LogKeys } from '@distributary/changelog';
import { createRawTextPool, createSlotWithExportedSnapshot, TypeResolver } from '@distributary/pg-catalog';
import { createTestDatabase, deleteNamespace, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { initialSnapshotRecord } from '@distributary/control';
import { runInitialSnapshot, type InitialSnapshotOptions } from './initial-snapshot';

/** A table and key column whose names need quotes (the range bounds and the sample quote them). */
const INTS = 'public."Int Keys"';
const TABLES = ['public.comp', INTS, 'public.empty', 'public.one'];
const COMP_ROWS = 1500;
const INT_ROWS = 2000;
const CHUNK = 37;

/**
 * Parallel key ranges of the initial snapshot: many ranges on several connections sharing one
 * exported snapshot, composite and non-integer keys, an empty and a one-row table, and a crash in
 * the middle that every range resumes from where its recorded progress stops.
 */
describe('initial snapshot in parallel key ranges', () => {
  let db: TestDatabase;
  let redis: Redis;
  /** Every source key as the snapshot's events name it: table + JSON of the key's values. */
  let sourceKeys: Set<string>;

  const keyText = (e: Pick<ChangeEvent, 'table' | 'key'>) => `${e.table} ${JSON.stringify(e.key)}`;

  beforeAll(async () => {
    db = await createTestDatabase('snapranges');
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    // Keys whose order is the server's: text in a collation, timestamptz, numeric — not JS order.
    await db.sql(`CREATE TABLE comp (tenant text, at timestamptz, n numeric, v text, PRIMARY KEY (tenant, at, n))`);
    await db.sql(
      `INSERT INTO comp SELECT (ARRAY['b', 'A', 'a', 'B', 'é', 'z z'])[1 + g % 6],
         '2024-01-01 00:00:00+00'::timestamptz + (g % 7) * interval '1 hour 0.000001 second',
         g / 3.0, 'v' || g
       FROM generate_series(1, ${COMP_ROWS}) g`,
    );
    await db.sql(`CREATE TABLE ${INTS} ("Id X" int8 PRIMARY KEY, v text)`);
    await db.sql(`INSERT INTO ${INTS} SELECT g * 7 - 3000, 'i' || g FROM generate_series(1, ${INT_ROWS}) g`);
    await db.sql(`CREATE TABLE empty (id uuid PRIMARY KEY)`);
    await db.sql(`CREATE TABLE one (k text PRIMARY KEY, v int)`);
    await db.sql(`INSERT INTO one VALUES ('only', 1)`);
    await db.sql(`ANALYZE`);
    // The source keys as the snapshot converts them (the same reader, one range, one connection).
    const pool = createRawTextPool(db.url, { max: 2 });
    const events: ChangeEvent[] = [];
    const keys = new LogKeys(uniqueName('nsref'));
    try {
      await runInitialSnapshot(options(pool, keys, events, { concurrency: 1, chunkSize: 100_000 }));
    } finally {
      await pool.end();
      await deleteNamespace(redis, keys.namespace);
    }
    sourceKeys = new Set(events.map(keyText));
    expect(sourceKeys.size).toBe(COMP_ROWS + INT_ROWS + 1);
  });
  afterAll(async () => {
    await redis.quit();
    await db.drop();
  });

  function options(
    pool: ReturnType<typeof createRawTextPool>,
    keys: LogKeys,
    into: ChangeEvent[],
    more: Partial<InitialSnapshotOptions> = {},
  ): InitialSnapshotOptions {
    return {
      pool,
      types: new TypeResolver(pool),
      tables: TABLES,
      lsn: 1000n,
      append: async (batch) => {
        into.push(...batch);
      },
      state: initialSnapshotRecord(redis, keys),
      chunkSize: CHUNK,
      ...more,
    };
  }

  it('reads many ranges on connections sharing the exported snapshot: every row once, at the consistent point', async () => {
    const keys = new LogKeys(uniqueName('ns'));
    const slot = await createSlotWithExportedSnapshot(db.url, uniqueName('slot'));
    const pool = createRawTextPool(db.url, { max: 5 });
    const events: ChangeEvent[] = [];
    try {
      // After the consistent point: not in the snapshot (the stream carries them).
      await db.sql(`UPDATE ${INTS} SET v = 'changed' WHERE "Id X" = -2993`);
      await db.sql(`INSERT INTO one VALUES ('later', 2)`);
      await db.sql(`INSERT INTO empty VALUES (gen_random_uuid())`);
      const result = await runInitialSnapshot({
        ...options(pool, keys, events, { concurrency: 4 }),
        lsn: slot.consistentPointLsn,
        snapshotName: slot.snapshotName,
        onSnapshotImported: () => slot.release(),
      });
      expect(result.connections).toBe(4);
      expect(result.ranges).toBeGreaterThanOrEqual(16);
      const record = await initialSnapshotRecord(redis, keys).read();
      expect(JSON.parse(record['t:public.comp:ranges']).length).toBeGreaterThanOrEqual(7);
      expect(JSON.parse(record['t:public.empty:ranges'])).toEqual([]);
      expect(JSON.parse(record[`t:${INTS}:ranges`]).length).toBeGreaterThanOrEqual(7);
      expect(record.status).toBe('done');
      // one LSN below the consistent point: a commit may start right there (lsnJustBefore)
      expect(events.every((e) => e.op === 'r' && e.pos.lsn === slot.consistentPointLsn - 1n)).toBe(true);
      const ids = events.map((e) => positionToId(e.pos));
      expect([...ids].sort(compareIds)).toEqual(ids);
      expect(new Set(ids).size).toBe(ids.length);
      expect(events.map(keyText).sort()).toEqual([...sourceKeys].sort());
      expect(events.find((e) => e.table === INTS && e.key['Id X'] === '-2993')?.after?.v).toBe('i1');
      expect(Number(record.rowsDone)).toBe(sourceKeys.size);
    } finally {
      await slot.release();
      await pool.end();
      await db.sql(`SELECT pg_drop_replication_slot($1)`, [slot.slot]);
      await db.sql(
        `DELETE FROM one WHERE k = 'later'; DELETE FROM empty; UPDATE ${INTS} SET v = 'i1' WHERE "Id X" = -2993`,
      );
      await deleteNamespace(redis, keys.namespace);
    }
  });

  it('after a crash in the middle, every range resumes where its record stops: each row exactly once', async () => {
    const keys = new LogKeys(uniqueName('ns'));
    const pool = createRawTextPool(db.url, { max: 5 });
    const first: ChangeEvent[] = [];
    const second: ChangeEvent[] = [];
    try {
      let calls = 0;
      await expect(
        runInitialSnapshot({
          ...options(pool, keys, first, { concurrency: 4 }),
          append: async (batch) => {
            if (++calls === 25) throw new Error('simulated crash');
            first.push(...batch);
          },
        }),
      ).rejects.toThrow('simulated crash');
      const record = await initialSnapshotRecord(redis, keys).read();
      expect(record.status).toBe('running');
      expect(Number(record.rowsDone)).toBe(first.length);
      // Resumed on fewer connections: the recorded ranges, not new ones.
      const result = await runInitialSnapshot(options(pool, keys, second, { concurrency: 2 }));
      expect(result.resumed).toBe(true);
      expect(second.length).toBe(sourceKeys.size - first.length);
      expect(second.every((e) => e.pos.seq >= first.length)).toBe(true);
      const all = [...first, ...second].map(keyText);
      expect(all.sort()).toEqual([...sourceKeys].sort());
      expect((await initialSnapshotRecord(redis, keys).read()).status).toBe('done');
    } finally {
      await pool.end();
      await deleteNamespace(redis, keys.namespace);
    }
  });

  it('resumes a record of the single-cursor version as one range from its cursor', async () => {
    const keys = new LogKeys(uniqueName('ns'));
    const pool = createRawTextPool(db.url, { max: 5 });
    const events: ChangeEvent[] = [];
    try {
      // What the previous version recorded mid-table: one cursor for ints, comp not started.
      await initialSnapshotRecord(redis, keys).write({
        status: 'running',
        lsn: '1000',
        seq: 500,
        rowsDone: 500,
        startedAt: Date.now(),
        [`t:${INTS}:after`]: JSON.stringify(['-2000']),
        [`t:${INTS}:rows`]: 142, // ids -2993, -2986, …, -2000
        't:public.empty:done': 1,
      });
      const result = await runInitialSnapshot(options(pool, keys, events, { concurrency: 4 }));
      expect(result.resumed).toBe(true);
      const ints = events.filter((e) => e.table === INTS);
      expect(ints.every((e) => BigInt(e.key['Id X'] as string) > -2000n)).toBe(true);
      expect(ints).toHaveLength([...sourceKeys].filter((k) => k.startsWith(`${INTS} `)).length - 142);
      expect(events.filter((e) => e.table === 'public.comp')).toHaveLength(COMP_ROWS);
      expect(events.filter((e) => e.table === 'public.empty')).toHaveLength(0);
      expect(events.every((e) => e.pos.seq >= 500)).toBe(true);
      const record = await initialSnapshotRecord(redis, keys).read();
      expect(record.status).toBe('done');
      expect(record[`t:${INTS}:ranges`]).toBe('[]');
      expect(JSON.parse(record[`t:${INTS}:r0:done`])).toBe(1);
    } finally {
      await pool.end();
      await deleteNamespace(redis, keys.namespace);
    }
  });

  it('with appends pipelined, a failed append loses nothing: chunks issued after it are read again', async () => {
    const keys = new LogKeys(uniqueName('ns'));
    const pool = createRawTextPool(db.url, { max: 5 });
    const landed: ChangeEvent[] = [];
    const second: ChangeEvent[] = [];
    try {
      let calls = 0;
      await expect(
        runInitialSnapshot({
          ...options(pool, keys, landed, { concurrency: 3, appendDepth: 3 }),
          append: async (batch) => {
            const call = ++calls;
            await new Promise((resolve) => setTimeout(resolve, call === 20 ? 30 : 1));
            if (call === 20) throw new Error('append failed');
            landed.push(...batch);
          },
        }),
      ).rejects.toThrow('append failed');
      const recorded = Number((await initialSnapshotRecord(redis, keys).read()).rowsDone);
      expect(recorded).toBeLessThanOrEqual(landed.length);
      await runInitialSnapshot(options(pool, keys, second, { concurrency: 3, appendDepth: 3 }));
      const counts = new Map<string, number>();
      for (const e of [...landed, ...second]) counts.set(keyText(e), (counts.get(keyText(e)) ?? 0) + 1);
      expect([...counts.keys()].sort()).toEqual([...sourceKeys].sort());
      // Read twice: only rows of chunks that landed after the failed one and were never recorded.
      const twice = [...counts.values()].filter((n) => n > 1).length;
      expect(twice).toBe(landed.length - recorded);
      expect(twice).toBeLessThanOrEqual(2 * CHUNK);
    } finally {
      await pool.end();
      await deleteNamespace(redis, keys.namespace);
    }
  });
});
