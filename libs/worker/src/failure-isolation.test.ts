import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError, type ChangeEvent } from '@distributary/core';
import {
  LogKeys,
  connectRedis,
  listDeadLetters,
  partitionStats,
  readWorkerStatus,
  sinkPositions,
} from '@distributary/changelog';
import { health } from '@distributary/observability';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import {
  createTestDatabase,
  deleteNamespace,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@distributary/testkit';
import { SinkRunner } from './sink-runner';
import { appendEvents, makeEvent } from './testing/append-events';
import { RecordingSink, appliedRecords, type RecordingSinkOptions } from './testing/recording-sink';

const redis = connectRedis({ url: redisUrl() });
let source: TestDatabase;
let target: TestDatabase;
const namespaces: string[] = [];

beforeAll(async () => {
  source = await createTestDatabase('iso_src');
  target = await createTestDatabase('iso_tgt');
  await source.sql(`CREATE TABLE public.orders (id text PRIMARY KEY, status text, amount int)`);
});

afterAll(async () => {
  for (const namespace of namespaces) await deleteNamespace(redis, namespace);
  redis.disconnect();
  await target?.drop();
  await source?.drop();
});

async function caughtUp(keys: LogKeys, sink: string, partitions: number): Promise<boolean> {
  const positions = await sinkPositions(redis, keys, sink, partitions);
  for (let p = 0; p < partitions; p++) {
    const stats = await partitionStats(redis, keys, p);
    if (stats.lastId && positions.get(p) !== stats.lastId) return false;
  }
  return true;
}

describe('error classification', () => {
  it('sorts the failures every sink meets into transient and permanent', () => {
    const pg = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
    expect(classifyError(pg('54000'))).toBe('permanent'); // index row requires … maximum size is 8191
    expect(classifyError(pg('22P02'))).toBe('permanent');
    expect(classifyError(pg('23505'))).toBe('permanent');
    expect(classifyError(pg('42804'))).toBe('permanent');
    expect(classifyError(pg('40001'))).toBe('transient');
    expect(classifyError(pg('40P01'))).toBe('transient');
    expect(classifyError(pg('08006'))).toBe('transient');
    expect(classifyError(pg('57P01'))).toBe('transient');
    expect(classifyError(pg('42P01'))).toBe('transient'); // the target table is missing: wait, visibly
    expect(classifyError(pg('ECONNREFUSED'))).toBe('transient');
    const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
    expect(classifyError(reply('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe('permanent');
    expect(classifyError(reply('LOADING Redis is loading the dataset in memory'))).toBe('transient');
    const es = (statusCode: number, type?: string) =>
      Object.assign(new Error(`es ${statusCode}`), {
        name: 'ResponseError',
        meta: { statusCode, body: { error: { type } } },
      });
    expect(classifyError(es(400, 'mapper_parsing_exception'))).toBe('permanent');
    expect(classifyError(es(503))).toBe('transient');
    expect(classifyError(es(429))).toBe('transient');
    expect(classifyError(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(classifyError(new Error('wrapped', { cause: pg('23502') }))).toBe('permanent');
    expect(classifyError(new Error('something unknown'))).toBe('transient');
  });
});

describe('a permanent error never holds a partition', () => {
  it('dead-letters a 40 kB GROUP BY value (index row too large) and applies everything around it', async () => {
    const namespace = uniqueName('iso');
    namespaces.push(namespace);
    const keys = new LogKeys(namespace);
    const table = uniqueName('public.by_status');
    const sink = await createMaterializedViewSink(
      {
        name: 'by-status',
        view: { postgres: target.url, table, stateSchema: uniqueName('iso_state') },
        sql: 'SELECT status, count(*) AS n, sum(amount) AS total FROM public.orders GROUP BY status',
        transactional: false,
      },
      { sourceUrl: source.url },
    );
    const huge = randomBytes(20_000).toString('hex'); // 40 kB, incompressible enough for the index
    const events: ChangeEvent[] = [];
    for (let i = 0; i < 30; i++) {
      const status = i === 13 ? huge : i % 2 === 0 ? 'paid' : 'open';
      events.push({ ...makeEvent('public.orders', i), after: { id: String(i), status, amount: '1' } });
    }
    await appendEvents(redis, keys, 1, events);
    const runner = new SinkRunner({
      redis,
      namespace,
      partitions: 1,
      sinks: [sink],
      batchSize: 50,
      blockMs: 100,
      statusEveryMs: 100,
      backoff: { baseMs: 5, capMs: 20 },
    });
    await runner.start();
    try {
      await waitFor('the view to catch up', () => caughtUp(keys, 'by-status', 1));
      const dead = await listDeadLetters(redis, keys, 'by-status');
      expect(dead.items.map((d) => d.event.key)).toEqual([{ id: '13' }]);
      expect(dead.items[0].error).toMatch(/index row/);
      const rows = await target.sql<{ status: string; n: string; total: string }>(
        `SELECT status, n::text, total::text FROM ${table} ORDER BY status`,
      );
      expect(rows).toEqual([
        { status: 'open', n: '14', total: '14' },
        { status: 'paid', n: '15', total: '15' },
      ]);
    } finally {
      await runner.stop();
    }
  });
});

describe('a partition retrying past the bound is degraded', () => {
  it('shows in the worker status and in readiness with the reason, and recovers', async () => {
    const namespace = uniqueName('deg');
    namespaces.push(namespace);
    const keys = new LogKeys(namespace);
    const prefix = `{${namespace}:rec}`;
    const options: RecordingSinkOptions = {
      name: 'flaky',
      tables: ['public.items'],
      redis,
      prefix,
      worker: 'w1',
      failFirst: Number.MAX_SAFE_INTEGER,
    };
    const sink = new RecordingSink(options);
    await appendEvents(redis, keys, 1, [makeEvent('public.items', 1), makeEvent('public.items', 2)]);
    const runner = new SinkRunner({
      redis,
      namespace,
      partitions: 1,
      sinks: [sink],
      blockMs: 100,
      statusEveryMs: 100,
      degradedAfterMs: 200,
      backoff: { baseMs: 5, capMs: 30 },
    });
    await runner.start();
    try {
      const status = await waitFor('the partition to be reported degraded', async () => {
        const s = await readWorkerStatus(redis, keys, runner.workerId);
        return s?.owned.find((o) => o.degraded) ? s : undefined;
      });
      expect(status.owned[0].retrying?.step).toBe('apply');
      expect(status.owned[0].retrying?.error).toMatch(/target unavailable/);
      const report = await health.report();
      expect(report.status).toBe('degraded'); // still ready (HTTP 200), with the reason
      expect(report.checks[`sinks:${runner.workerId}`].error).toMatch(
        /degraded: sink flaky partition 0: apply retrying for \d+ s: target unavailable/,
      );
      options.failFirst = 0;
      await waitFor('the sink to catch up', () => caughtUp(keys, 'flaky', 1));
      await waitFor('the degraded state to clear', async () => {
        const s = await readWorkerStatus(redis, keys, runner.workerId);
        return s?.owned.every((o) => !o.degraded && !o.retrying);
      });
      expect((await health.report()).checks[`sinks:${runner.workerId}`].ok).toBe(true);
      expect((await appliedRecords(redis, prefix, 0)).map((r) => r.key)).toHaveLength(2);
    } finally {
      await runner.stop();
    }
  });
});
