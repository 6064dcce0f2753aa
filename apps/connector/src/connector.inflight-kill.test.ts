import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareIds } from '@distributary/core';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import {
  ConnectorProcesses,
  deleteNamespace,
  redisUrl,
  uniqueName,
  waitFor,
  writeConnectorConfig,
  slotStreaming,
} from '@distributary/testkit';
import { createPrivateSource, type PrivateSource } from './testing/private-source';

/**
 * Pipelined capture under kill -9: the connector drains a backlog in many small batches (batchSize 25),
 * so while it runs several appends are in flight at once (bounded by bytes, not by count). It is
 * killed at 20 %, 45 % and 70 % of the drain and restarted each time. The log must end exactly equal to
 * the source's commit order: every event once, no gap, no duplicate, and each partition in order —
 * i.e. nothing was confirmed to PostgreSQL before every earlier append was durable. The source is a
 * cluster of this file's own (private-source.ts: slot creation on the shared server waits for every
 * other suite's open transactions).
 */
const PARTITIONS = 4;
const TRANSACTIONS = 30;
const ROWS = 200;
const TOTAL = TRANSACTIONS * ROWS;

let db: PrivateSource;
let redis: RedisClient;
let workdir: string;
const connectors = new ConnectorProcesses();

beforeAll(async () => {
  db = await createPrivateSource('inflight');
  redis = connectRedis({ url: redisUrl() });
  workdir = mkdtempSync(join(tmpdir(), 'inflight-kill-'));
  await db.sql(`CREATE TABLE bulk (id int PRIMARY KEY, v text)`);
});

afterAll(async () => {
  connectors.killAll();
  redis?.disconnect();
  await db?.destroy();
  rmSync(workdir, { recursive: true, force: true });
});

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

async function logLength(keys: LogKeys): Promise<number> {
  let total = 0;
  for (let p = 0; p < PARTITIONS; p++) total += await redis.xlen(keys.partition(p));
  return total;
}

describe('connector process, pipelined appends', () => {
  it('kill -9 while several appends are in flight leaves the log exact', async () => {
    const namespace = uniqueName('inflight');
    const slot = uniqueName('slot');
    const keys = new LogKeys(namespace);
    const configFile = writeConnectorConfig(join(workdir, 'inflight.yaml'), {
      sourceUrl: db.url,
      slot,
      table: 'bulk',
      namespace,
      partitions: PARTITIONS,
      heartbeat: '1s',
      connector: { batchSize: 25, leaseTtl: '1500ms', leaseRenew: '400ms', statusEvery: '1s' },
    });
    try {
      // First start creates slot and publication; then the backlog is written while nobody reads it.
      let child = connectors.start(configFile);
      await waitFor('the connector to stream from its new slot', async () => slotStreaming(db, slot), {
        timeoutMs: 60_000,
      });
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      for (let t = 0; t < TRANSACTIONS; t++)
        await db.sql(
          `INSERT INTO bulk SELECT g, repeat('x', 200) || g FROM generate_series(${t * ROWS + 1}, ${(t + 1) * ROWS}) g`,
        );

      for (const share of [0.2, 0.45, 0.7]) {
        child = connectors.start(configFile);
        await waitFor('the drain to pass its mark', async () => (await logLength(keys)) >= share * TOTAL, {
          timeoutMs: 120_000,
          intervalMs: 5,
        });
        child.kill('SIGKILL');
        await exited(child);
      }
      child = connectors.start(configFile);
      await waitFor('the whole backlog in the log', async () => (await logLength(keys)) >= TOTAL, {
        timeoutMs: 120_000,
      });
      // A transaction's last event can fill a batch (200 rows, batches of 25): its commit marker then
      // goes out in the next append, after the events are visible in the partitions.
      await waitFor(
        'every transaction marker',
        async () => (await redis.xlen(keys.transactions())) >= 2 * TRANSACTIONS,
        { timeoutMs: 30_000 },
      );

      const entries = [];
      for (let p = 0; p < PARTITIONS; p++) {
        const inPartition = ((await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]).map(toLogEntry);
        const ids = inPartition.map((e) => e.id);
        expect(ids).toEqual([...ids].sort(compareIds)); // stream order = commit order
        entries.push(...inPartition);
      }
      const ordered = entries.sort((a, b) => compareIds(a.id, b.id));
      expect(ordered.length).toBe(TOTAL);
      expect(ordered.map((e) => [e.event.op, e.event.key.id])).toEqual(
        Array.from({ length: TOTAL }, (_, i) => ['c', i + 1]),
      );
      expect(new Set(ordered.map((e) => e.id)).size).toBe(TOTAL);
      const markers = (await redis.xrange(keys.transactions(), '-', '+')) as [string, string[]][];
      expect(new Set(markers.map(([id]) => id)).size).toBe(markers.length);
      expect(markers.length).toBe(2 * TRANSACTIONS);

      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
    } finally {
      await deleteNamespace(redis, namespace);
    }
  }, 300_000);
});
