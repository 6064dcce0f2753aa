import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalKey, type ChangeEvent } from '@distributary/core';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { SnapshotRequests, requestSnapshot } from '@distributary/control';
import { confirmedCurrentWal } from '../test/connector-under-test';
import { Connector } from './connector';
import {
  ConnectorProcesses,
  createTestDatabase,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';

/**
 * Snapshots inside the real pipeline: Postgres → connector → log. After a concurrent random workload
 * and the snapshot both finish, folding the log from the start must give exactly the source table —
 * the initial snapshot at the slot's consistent point, and an incremental snapshot (watermarks) while
 * streaming, including a kill -9 of the connector in the middle of it.
 */
const PARTITIONS = 4;
let db: TestDatabase;
let redis: RedisClient;
let workdir: string;
const connectors = new ConnectorProcesses();

function config(namespace: string, slot: string, snapshot: 'initial' | 'never') {
  return {
    source: {
      postgres: { url: db.url, slot, publication: slot, snapshot, heartbeat: '1s' },
      tables: ['public.items'],
      connector: { statusEvery: '500ms', leaseTtl: '3s', leaseRenew: '1s' },
      snapshot: { connections: 2, chunkSize: 150 },
    },
    log: { redis: { url: redisUrl() }, namespace, partitions: PARTITIONS },
  };
}

/** Random single-row transactions on `items` until stopped. */
function startWorkload(seed: number): { stop(): Promise<number> } {
  let running = true;
  let count = 0;
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const done = (async () => {
    while (running) {
      const id = 1 + Math.floor(random() * 3500);
      const roll = random();
      if (roll < 0.5) await db.sql(`UPDATE items SET v = v + 1, note = 'w${count}' WHERE id = $1`, [id]);
      else if (roll < 0.75) await db.sql(`DELETE FROM items WHERE id = $1`, [id]);
      else await db.sql(`INSERT INTO items VALUES ($1, 0, 'new') ON CONFLICT (id) DO UPDATE SET v = items.v - 1`, [id]);
      count++;
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return count;
    },
  };
}

/** Folds the log from the start into table state, as a sink reading a fresh partition would. */
async function foldLog(namespace: string): Promise<Map<string, ChangeEvent['after']>> {
  const keys = new LogKeys(namespace);
  const state = new Map<string, ChangeEvent['after']>();
  for (let p = 0; p < PARTITIONS; p++) {
    for (const raw of (await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]) {
      const { event } = toLogEntry(raw);
      if (event.op === 't') {
        for (const key of [...state.keys()]) if (key.startsWith(`${event.table}:`)) state.delete(key);
      } else if (event.op === 'd') state.delete(canonicalKey(event.table, event.key));
      else state.set(canonicalKey(event.table, event.key), event.after);
    }
  }
  return state;
}

async function expectLogEqualsSource(namespace: string): Promise<void> {
  const rows = await db.sql<{ id: number; v: number; note: string }>(`SELECT id, v, note FROM items ORDER BY id`);
  const folded = await foldLog(namespace);
  const expected = new Map(
    rows.map((r) => [canonicalKey('public.items', { id: r.id }), { id: r.id, v: r.v, note: r.note }]),
  );
  expect(folded.size).toBe(expected.size);
  for (const [key, row] of expected) expect(folded.get(key), key).toEqual(row);
}

beforeAll(async () => {
  db = await createTestDatabase('snappipe');
  redis = connectRedis({ url: redisUrl() });
  workdir = mkdtempSync(join(tmpdir(), 'snapshot-test-'));
});

afterAll(async () => {
  connectors.killAll();
  redis?.disconnect();
  await db?.drop();
  rmSync(workdir, { recursive: true, force: true });
});

async function resetTable(): Promise<void> {
  await db.sql(`DROP TABLE IF EXISTS items; CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL, note text)`);
  await db.sql(`INSERT INTO items SELECT g, g, 'seed' FROM generate_series(1, 3000) g`);
}

describe('snapshots in the pipeline', () => {
  it('initial snapshot at the consistent point + the stream of a concurrent workload = the source', async () => {
    await resetTable();
    const namespace = uniqueName('snapinit');
    const connector = new Connector({
      config: configSchema.parse(config(namespace, uniqueName('slot'), 'initial')),
      logger: silentLogger,
    });
    const workload = startWorkload(7);
    const run = connector.run();
    try {
      await waitFor('the connector to lead and stream', async () => connector.role === 'leader', { timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 1500));
      expect(await workload.stop()).toBeGreaterThan(0);
      await confirmedCurrentWal(db, redis, namespace);
      await expectLogEqualsSource(namespace);
      const initial = await redis.hgetall(new LogKeys(namespace).initialSnapshot());
      expect(initial.status).toBe('done');
    } finally {
      await workload.stop();
      await connector.stop();
      await run.catch(() => undefined);
    }
  });

  it('incremental snapshot while streaming, with a kill -9 of the connector mid-snapshot, resumes and ends exact', async () => {
    await resetTable();
    const namespace = uniqueName('snapinc');
    const slot = uniqueName('slot');
    const file = join(workdir, `${namespace}.yaml`);
    writeFileSync(file, JSON.stringify(config(namespace, slot, 'never')));
    const start = () => connectors.start(file);
    const keys = new LogKeys(namespace);
    const active = async () => slotStreaming(db, slot);
    let child = start();
    await waitFor('the connector to stream', active, { timeoutMs: 90_000 });
    const workload = startWorkload(11);
    try {
      const record = await requestSnapshot(redis, keys, { table: 'public.items', chunkSize: 100, reason: 'test' });
      const requests = new SnapshotRequests(redis, keys);
      await waitFor('a few chunks', async () => ((await requests.get(record.id))?.chunks ?? 0) >= 3, {
        timeoutMs: 60_000,
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect((await requests.get(record.id))?.status).toBe('running');
      child = start();
      const finished = await waitFor(
        'the snapshot to finish after the restart',
        async () => {
          const current = await requests.get(record.id);
          return current?.status === 'done' ? current : undefined;
        },
        { timeoutMs: 90_000 },
      );
      expect(finished.rowsDone).toBeGreaterThan(0);
      await workload.stop();
      await confirmedCurrentWal(db, redis, namespace);
      await expectLogEqualsSource(namespace);
    } finally {
      await workload.stop();
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
  });
});
