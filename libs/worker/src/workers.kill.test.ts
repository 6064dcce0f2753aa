import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareIds, type ChangeEvent } from '@distributary/core';
import {
  LogKeys,
  connectRedis,
  partitionStats,
  readWorkerStatuses,
  sinkPositions,
  type RedisClient,
} from '@distributary/changelog';
import { redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { appendEvents, makeEvent } from './testing/append-events';
import { deleteNamespace } from '@distributary/testkit';
import { appliedRecords } from './testing/recording-sink';

const PARTITIONS = 6;
const SINKS = ['alpha', 'beta'];
const workerScript = resolve(__dirname, 'testing/test-worker.ts');

interface Worker {
  id: string;
  process: ChildProcess;
  output: string;
}

describe('three sink workers with kill -9 and restarts', () => {
  const redis: RedisClient = connectRedis({ url: redisUrl() });
  const namespace = uniqueName('workers');
  const keys = new LogKeys(namespace);
  const prefix = `{${namespace}:rec}`;
  const workers = new Map<string, Worker>();
  let generation = 0;

  afterAll(async () => {
    for (const worker of workers.values()) worker.process.kill('SIGKILL');
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  });

  async function startWorker(name: string): Promise<Worker> {
    const id = `${name}-g${generation++}`;
    const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
      env: {
        ...process.env,
        TEST_WORKER: JSON.stringify({ namespace, partitions: PARTITIONS, workerId: id, prefix, sinks: SINKS }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker: Worker = { id, process: child, output: '' };
    child.stdout?.on('data', (chunk: Buffer) => (worker.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (worker.output += chunk.toString()));
    workers.set(name, worker);
    await waitFor(`worker ${id} to start`, async () => {
      if (child.exitCode !== null) throw new Error(`worker ${id} exited: ${worker.output}`);
      return worker.output.includes('ready');
    });
    return worker;
  }

  function kill9(name: string): void {
    workers.get(name)?.process.kill('SIGKILL');
    workers.delete(name);
  }

  /** Every sink's position is at the end of every partition. */
  async function drained(): Promise<void> {
    const lastIds = new Map<number, string>();
    for (let p = 0; p < PARTITIONS; p++) {
      const stats = await partitionStats(redis, keys, p);
      if (stats.lastId) lastIds.set(p, stats.lastId);
    }
    await waitFor(
      'every sink to drain every partition',
      async () => {
        for (const sink of SINKS) {
          const positions = await sinkPositions(redis, keys, sink, PARTITIONS);
          for (const [p, last] of lastIds) if (positions.get(p) !== last) return false;
        }
        return true;
      },
      { timeoutMs: 30_000 },
    );
  }

  it('keeps one owner per partition, never moves a position back, and applies every event in order', async () => {
    const violations: string[] = [];
    const lastSeen = new Map<string, string>();
    let monitoring = true;
    const monitor = (async () => {
      while (monitoring) {
        for (const sink of SINKS) {
          for (const [p, id] of await sinkPositions(redis, keys, sink, PARTITIONS)) {
            const before = lastSeen.get(`${sink}#${p}`);
            if (before && compareIds(id, before) < 0) violations.push(`${sink}#${p} went back from ${before} to ${id}`);
            lastSeen.set(`${sink}#${p}`, id);
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const events: ChangeEvent[] = [];
    const produce = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const event = makeEvent(i % 5 === 0 ? 'public.other' : 'public.items', i % 40, 'u', {
          n: String(events.length),
        });
        events.push(event);
        await appendEvents(redis, keys, PARTITIONS, [event]);
      }
    };

    await Promise.all(['w1', 'w2', 'w3'].map((name) => startWorker(name)));
    await produce(80);
    kill9('w1');
    await produce(60);
    await startWorker('w1');
    await produce(60);
    kill9('w2');
    kill9('w3');
    await produce(40);
    await Promise.all([startWorker('w2'), startWorker('w3'), produce(80)]);

    await drained();

    // exactly one owner per (sink, partition) among the live workers, once settled
    const live = new Set([...workers.values()].map((w) => w.id));
    await waitFor('a settled assignment', async () => {
      const statuses = (await readWorkerStatuses(redis, keys)).filter((s) => live.has(s.workerId));
      if (statuses.length !== live.size) return false;
      const owners = new Map<string, number>();
      for (const s of statuses)
        for (const o of s.owned)
          owners.set(`${o.sink}#${o.partition}`, (owners.get(`${o.sink}#${o.partition}`) ?? 0) + 1);
      return owners.size === SINKS.length * PARTITIONS && [...owners.values()].every((n) => n === 1);
    });
    // with the assignment settled, new events are spread over the live workers
    const settledFrom = events.length;
    await produce(30);
    await drained();
    monitoring = false;
    await monitor;
    expect(violations).toEqual([]);

    const expected = events.filter((e) => e.table === 'public.items');
    const lateAppliers = new Set<string>();
    const late = new Set(events.slice(settledFrom).map((e) => `${e.pos.lsn}-${e.pos.seq}`));
    let maxToken = 0;
    for (const sink of SINKS) {
      const applied = new Set<string>();
      for (let p = 0; p < PARTITIONS; p++) {
        const records = await appliedRecords(redis, `${prefix}:${sink}`, p);
        for (const r of records) {
          applied.add(r.id);
          if (late.has(r.id)) lateAppliers.add(r.worker);
          maxToken = Math.max(maxToken, r.token);
        }
        // one consumer at a time: fencing tokens only grow along the applied sequence
        for (let i = 1; i < records.length; i++) {
          expect(records[i].token, `${sink}#${p} token order`).toBeGreaterThanOrEqual(records[i - 1].token);
        }
        // in order within each owner's run (a new owner may re-apply from the last commit: at-least-once)
        for (let i = 1; i < records.length; i++) {
          if (records[i].token === records[i - 1].token) {
            expect(compareIds(records[i].id, records[i - 1].id), `${sink}#${p} order`).toBe(1);
          }
        }
      }
      const missing = expected.filter((e) => !applied.has(`${e.pos.lsn}-${e.pos.seq}`));
      expect(missing, `events never applied to ${sink}`).toEqual([]);
    }
    // the work really moved between processes: partitions changed hands, the live workers share it
    expect(maxToken).toBeGreaterThanOrEqual(2);
    expect(lateAppliers.size).toBeGreaterThanOrEqual(2);
    expect([...lateAppliers].every((w) => live.has(w))).toBe(true);

    // graceful stop hands everything back
    await Promise.all(
      [...workers.values()].map(
        (w) => new Promise<void>((done) => w.process.once('exit', () => done()).kill('SIGTERM')),
      ),
    );
    workers.clear();
    for (const sink of SINKS)
      for (let p = 0; p < PARTITIONS; p++) expect(await redis.exists(keys.lease(p, sink))).toBe(0);
  });
});
