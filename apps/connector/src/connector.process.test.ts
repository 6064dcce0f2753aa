import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareIds, type ChangeEvent } from '@distributary/core';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import { mulberry32, redisUrl, uniqueName, waitFor, writeConnectorConfig, slotStreaming } from '@distributary/testkit';
import { createPrivateSource, type PrivateSource } from './testing/private-source';

/**
 * The connector as a real process: kill -9 at random points of a mixed workload and restart, and a
 * standby taking over from a killed leader. After each run the log must hold exactly the expected
 * events — same order per partition, no gap, no duplicate — and a SIGTERM ends the process with 0.
 *
 * The source is a PostgreSQL cluster of this file's own (see private-source.ts: slot creation on the
 * shared server waits for every other suite's open transactions — the cause of this file's flakes).
 */
const ROOT = resolve(__dirname, '../../..');
const PARTITIONS = 4;
/**
 * Every wait here is a liveness bound, not a speed bound: on a machine loaded ~15 per core a connector
 * process takes 10-30 s to start (tsx), and the kill test restarts it three times. The tests themselves
 * get TEST_MS (the suite's default 120 s was reached by the kill test alone at load 30).
 */
const LIVENESS_MS = 120_000;
const TEST_MS = 480_000;

interface Expected {
  table: string;
  key: Record<string, unknown>;
  op: ChangeEvent['op'];
  after?: Record<string, unknown>;
}

let db: PrivateSource;
let redis: RedisClient;
let workdir: string;
const children = new Set<ChildProcess>();

/** Statements, each its own transaction (some multi-statement), and the events they must produce in commit order. */
function workload(seed: number, count: number, table: string): { sql: string; expected: Expected[] }[] {
  const random = mulberry32(seed);
  const rows = new Map<number, string>();
  let nextId = 1;
  const steps: { sql: string; expected: Expected[] }[] = [];
  const qualified = `public.${table}`;
  const insert = (): { sql: string; expected: Expected } => {
    const id = nextId++;
    const v = `v${Math.floor(random() * 1e6)}`;
    rows.set(id, v);
    return {
      sql: `INSERT INTO ${table} VALUES (${id}, '${v}')`,
      expected: { table: qualified, key: { id }, op: 'c', after: { id, v } },
    };
  };
  const pick = (): number => [...rows.keys()][Math.floor(random() * rows.size)];
  for (let i = 0; i < count; i++) {
    const roll = random();
    if (rows.size < 3 || roll < 0.4) {
      const step = insert();
      steps.push({ sql: step.sql, expected: [step.expected] });
    } else if (roll < 0.75) {
      const id = pick();
      const v = `u${Math.floor(random() * 1e6)}`;
      rows.set(id, v);
      steps.push({
        sql: `UPDATE ${table} SET v = '${v}' WHERE id = ${id}`,
        expected: [{ table: qualified, key: { id }, op: 'u', after: { id, v } }],
      });
    } else if (roll < 0.9) {
      const id = pick();
      rows.delete(id);
      steps.push({
        sql: `DELETE FROM ${table} WHERE id = ${id}`,
        expected: [{ table: qualified, key: { id }, op: 'd' }],
      });
    } else if (roll < 0.97) {
      const a = insert();
      const b = insert();
      steps.push({ sql: `BEGIN; ${a.sql}; ${b.sql}; COMMIT`, expected: [a.expected, b.expected] });
    } else {
      // Larger than the connector's batch: appended in several batches before its COMMIT arrives.
      const many = Array.from({ length: 45 }, insert);
      steps.push({ sql: `BEGIN; ${many.map((m) => m.sql).join('; ')}; COMMIT`, expected: many.map((m) => m.expected) });
    }
  }
  return steps;
}

function writeConfig(
  name: string,
  namespace: string,
  slot: string,
  table: string,
  lease: { ttl: string; renew: string },
): string {
  return writeConnectorConfig(join(workdir, `${name}.yaml`), {
    sourceUrl: db.url,
    slot,
    table,
    namespace,
    partitions: PARTITIONS,
    heartbeat: '1s',
    connector: { batchSize: 20, leaseTtl: lease.ttl, leaseRenew: lease.renew, statusEvery: '1s' },
  });
}

/** Each process logs (info) to a file of its own; a failing test prints their ends. */
const logFiles: string[] = [];

function startConnector(configFile: string): ChildProcess {
  const file = join(workdir, `connector-${logFiles.length + 1}.log`);
  const fd = openSync(file, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/connector/src/main.ts', '--config', configFile], {
    cwd: ROOT,
    env: { ...process.env, DISTRIBUTARY_LOG_LEVEL: process.env.H1_DEBUG ? 'debug' : 'info' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  logFiles.push(`${file} (pid ${child.pid})`);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Runs a test body; on failure, the last lines of every connector process's log go with the error. */
async function withProcessLogs(body: () => Promise<void>): Promise<void> {
  const first = logFiles.length;
  try {
    await body();
  } catch (error) {
    for (const entry of logFiles.slice(first)) {
      const file = entry.split(' (')[0];
      const lines = existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n') : [];
      process.stderr.write(`--- ${entry}, last 40 lines:\n${lines.slice(-40).join('\n')}\n`);
    }
    throw error;
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function kill9(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await exited(child);
}

async function readLog(namespace: string): Promise<{ partition: number; id: string; event: ChangeEvent }[]> {
  const keys = new LogKeys(namespace);
  const entries: { partition: number; id: string; event: ChangeEvent }[] = [];
  for (let p = 0; p < PARTITIONS; p++)
    for (const raw of (await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][])
      entries.push({ partition: p, ...toLogEntry(raw) });
  return entries;
}

/** The log equals the expected sequence exactly: globally by position, and hence per partition. */
async function expectExactLog(namespace: string, expected: Expected[]): Promise<void> {
  const entries = await waitFor(
    `${expected.length} events in the log`,
    async () => {
      const all = await readLog(namespace);
      return all.length >= expected.length ? all : undefined;
    },
    { timeoutMs: LIVENESS_MS },
  );
  const ordered = [...entries].sort((a, b) => compareIds(a.id, b.id));
  const actual = ordered.map(({ event }) => ({
    table: event.table,
    key: event.key,
    op: event.op,
    ...(event.after ? { after: event.after } : {}),
  }));
  expect(actual).toEqual(expected);
  const ids = ordered.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  // Within a partition the stream order is the commit order.
  for (let p = 0; p < PARTITIONS; p++) {
    const inPartition = entries.filter((e) => e.partition === p).map((e) => e.id);
    expect(inPartition).toEqual([...inPartition].sort(compareIds));
  }
}

async function leaseHolderPid(namespace: string): Promise<number | null> {
  const holder = await redis.get(new LogKeys(namespace).connectorLease());
  return holder ? Number(holder.split(':')[1]) : null;
}

/** The child holds the lease and its replication connection is attached to the slot. */
async function streaming(namespace: string, slot: string, child: ChildProcess): Promise<boolean> {
  if ((await leaseHolderPid(namespace)) !== child.pid) return false;
  return await slotStreaming(db, slot);
}

beforeAll(async () => {
  db = await createPrivateSource('connproc');
  redis = connectRedis({ url: redisUrl() });
  workdir = mkdtempSync(join(tmpdir(), 'connector-test-'));
  await db.sql(`CREATE TABLE kills (id int PRIMARY KEY, v text); CREATE TABLE standby (id int PRIMARY KEY, v text)`);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  redis?.disconnect();
  await db?.destroy();
  rmSync(workdir, { recursive: true, force: true });
});

async function cleanNamespace(namespace: string): Promise<void> {
  const keys = await redis.keys(`{${namespace}:*`);
  if (keys.length) await redis.del(...keys);
}

describe('connector process', () => {
  it(
    'survives kill -9 at random points: the log is exact, no gap, no duplicate',
    () =>
      withProcessLogs(async () => {
        const namespace = uniqueName('kill');
        const slot = uniqueName('slot');
        const config = writeConfig('kills', namespace, slot, 'kills', { ttl: '1500ms', renew: '400ms' });
        const steps = workload(Date.now() % 100_000, 300, 'kills');
        const random = mulberry32(Date.now());
        const client = new Client({ connectionString: db.url });
        await client.connect();
        try {
          let child = startConnector(config);
          await waitFor('the connector streams', () => streaming(namespace, slot, child), { timeoutMs: LIVENESS_MS });
          // The workload runs on while the connector is killed and restarted underneath it.
          const running = (async () => {
            for (const step of steps) {
              await client.query(step.sql);
              await new Promise((r) => setTimeout(r, 5));
            }
          })();
          for (let kill = 0; kill < 3; kill++) {
            await waitFor('the connector streams', () => streaming(namespace, slot, child), { timeoutMs: LIVENESS_MS });
            await new Promise((r) => setTimeout(r, 50 + Math.floor(random() * 500)));
            await kill9(child);
            child = startConnector(config);
          }
          await running;
          await expectExactLog(
            namespace,
            steps.flatMap((s) => s.expected),
          );
          // SIGTERM: the last instance finishes its batch, confirms and exits 0.
          await waitFor('the last connector streams', () => streaming(namespace, slot, child), {
            timeoutMs: LIVENESS_MS,
          });
          child.kill('SIGTERM');
          expect(await exited(child)).toBe(0);
        } finally {
          await client.end();
          await cleanNamespace(namespace);
        }
      }),
    TEST_MS,
  );

  it(
    'a standby takes over once the dead leader lease expires, and the log stays exact',
    () =>
      withProcessLogs(async () => {
        const namespace = uniqueName('standby');
        const slot = uniqueName('slot');
        const config = writeConfig('standby', namespace, slot, 'standby', { ttl: '5s', renew: '1500ms' });
        const steps = workload(4242, 60, 'standby');
        const client = new Client({ connectionString: db.url });
        await client.connect();
        // Slot and publication up front: what follows depends only on the lease hand-over (which of the
        // two processes creates the slot is not what this test is about).
        await db.sql(`CREATE PUBLICATION ${slot} FOR TABLE public.standby`);
        await db.sql(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
        try {
          const first = startConnector(config);
          const second = startConnector(config);
          const leaderPid = await waitFor('one instance leads', () => leaseHolderPid(namespace), {
            timeoutMs: LIVENESS_MS,
          });
          const [leader, standby] = leaderPid === first.pid ? [first, second] : [second, first];
          await waitFor('the leader streams', () => streaming(namespace, slot, leader), { timeoutMs: LIVENESS_MS });
          for (const step of steps.slice(0, 30)) await client.query(step.sql);
          await kill9(leader);
          for (const step of steps.slice(30)) await client.query(step.sql);
          // Liveness, not speed (the lease TTL is 5 s; a loaded machine may stall the standby's timers).
          await waitFor('the standby leads', async () => (await leaseHolderPid(namespace)) === standby.pid, {
            timeoutMs: LIVENESS_MS,
          });
          await expectExactLog(
            namespace,
            steps.flatMap((s) => s.expected),
          );
          standby.kill('SIGTERM');
          expect(await exited(standby)).toBe(0);
        } finally {
          await client.end();
          await cleanNamespace(namespace);
        }
      }),
    TEST_MS,
  );
});
