import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalKey, parseLsn } from '@distributary/core';
import { LogKeys, connectRedis, readConnectorState, toLogEntry, type RedisClient } from '@distributary/changelog';
import {
  ConnectorProcesses,
  createTestDatabase,
  deleteNamespace,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@distributary/testkit';

/**
 * A kill -9 of the connector in the middle of an initial snapshot read in parallel key ranges
 * (composite, non-integer key): the restarted connector resumes every range from its own recorded
 * key, and the log ends with every source row, each at the snapshot's consistent point, none lost;
 * only the chunks appended but not yet recorded when the process died are read again.
 */
const PARTITIONS = 4;
const ROWS = 30_000;
const CHUNK = 50;
let db: TestDatabase;
let redis: RedisClient;
let workdir: string;
const connectors = new ConnectorProcesses();

beforeAll(async () => {
  db = await createTestDatabase('snapkill');
  redis = connectRedis({ url: redisUrl() });
  workdir = mkdtempSync(join(tmpdir(), 'snapshot-kill-'));
  await db.sql(`CREATE TABLE items (grp text, code text, v int NOT NULL, PRIMARY KEY (grp, code))`);
  await db.sql(
    `INSERT INTO items SELECT 'g' || (g % 17), md5(g::text), g FROM generate_series(1, ${ROWS}) g; ANALYZE items`,
  );
});

afterAll(async () => {
  connectors.killAll();
  redis?.disconnect();
  await db?.drop();
  rmSync(workdir, { recursive: true, force: true });
});

describe('initial snapshot in parallel key ranges, kill -9 in the middle', () => {
  it('resumes every range where it stopped and logs every row, none lost', async () => {
    const namespace = uniqueName('snapkill');
    const slot = uniqueName('slot');
    const keys = new LogKeys(namespace);
    const file = join(workdir, `${namespace}.yaml`);
    writeFileSync(
      file,
      JSON.stringify({
        source: {
          postgres: { url: db.url, slot, publication: slot, snapshot: 'initial', heartbeat: '1s' },
          tables: ['public.items'],
          connector: { statusEvery: '500ms', leaseTtl: '3s', leaseRenew: '1s' },
          snapshot: { connections: 4, chunkSize: CHUNK },
        },
        log: { redis: { url: redisUrl() }, namespace, partitions: PARTITIONS },
      }),
    );
    let child = connectors.start(file);
    try {
      const record = () => redis.hgetall(keys.initialSnapshot());
      await waitFor('a part of the snapshot in the log', async () => Number((await record()).rowsDone ?? 0) >= 3000, {
        timeoutMs: 120_000,
        intervalMs: 10,
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const interrupted = await record();
      expect(interrupted.status).toBe('running');
      const ranges = JSON.parse(interrupted['t:public.items:ranges']) as unknown[];
      expect(ranges.length).toBeGreaterThanOrEqual(7);
      // several ranges were under way at once
      expect(Object.keys(interrupted).filter((f) => /^t:public\.items:r\d+:after$/.test(f)).length).toBeGreaterThan(1);
      const recordedRows = Number(interrupted.rowsDone);
      expect(recordedRows).toBeLessThan(ROWS);

      child = connectors.start(file);
      await waitFor('the snapshot to finish after the restart', async () => (await record()).status === 'done', {
        timeoutMs: 120_000,
      });
      const [{ lsn }] = await db.sql<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`);
      await waitFor(
        'the connector to confirm the current WAL position',
        async () => {
          const state = await readConnectorState(redis, keys);
          return state.confirmedLsn !== undefined && parseLsn(state.confirmedLsn) >= parseLsn(lsn);
        },
        { timeoutMs: 60_000 },
      );

      const consistentPoint = BigInt((await record()).lsn);
      const counts = new Map<string, number>();
      const latest = new Map<string, unknown>();
      for (let p = 0; p < PARTITIONS; p++)
        for (const raw of (await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]) {
          const { event } = toLogEntry(raw);
          expect(event.op).toBe('r');
          expect(event.pos.lsn).toBe(consistentPoint);
          const key = canonicalKey(event.table, event.key);
          counts.set(key, (counts.get(key) ?? 0) + 1);
          latest.set(key, event.after);
        }
      const rows = await db.sql<{ grp: string; code: string; v: number }>(`SELECT grp, code, v FROM items`);
      expect(latest.size).toBe(ROWS);
      for (const row of rows)
        expect(latest.get(canonicalKey('public.items', { grp: row.grp, code: row.code }))).toEqual(row);
      // read twice: at most the chunks appended and not yet recorded at the kill (two appends in flight)
      const twice = [...counts.values()].filter((n) => n > 1);
      expect(twice.every((n) => n === 2)).toBe(true);
      expect(twice.length).toBeLessThanOrEqual(2 * CHUNK);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await db.sql(`SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
      await deleteNamespace(redis, namespace);
    }
  });
});
