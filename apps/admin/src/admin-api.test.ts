import { SnapshotRequests } from '@distributary/control';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendDeadLetter, LogKeys, writeWorkerStatus, type RedisClient } from '@distributary/changelog';
import { redisUrl, stack, startTcpProxy, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import { startAdmin, type RunningAdmin } from './index';
import { closeAdminTestEnv, openAdminTestEnv, type AdminTestEnv } from './testing/admin-test-env';
import { callApi, type CallOptions } from './testing/http-client';
import {
  appendEvents,
  OPERATOR_TOKEN,
  productEvents,
  RecordingSink,
  testConfig,
  VIEWER_TOKEN,
} from './testing/pipeline-fixture';

const SINK = 'product-cache';
const PARTITIONS = 2;
let env: AdminTestEnv;
let db: TestDatabase;
let redis: RedisClient;
let keys: LogKeys;
let admin: RunningAdmin;
let sink: RecordingSink;
let namespace: string;
let slot: string;

const call = (path: string, options: CallOptions = {}) => callApi(admin.url, path, { token: VIEWER_TOKEN, ...options });

const asOperator = (path: string, body: unknown = {}) => call(path, { token: OPERATOR_TOKEN, method: 'POST', body });

/** Reads a server-sent event stream until `until` accepts a parsed data payload. */
async function readSse<T>(path: string, cookie: string, until: (data: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(admin.url + path, { headers: { cookie }, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('event stream ended');
      buffer += decoder.decode(value, { stream: true });
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n');
        if (data && until(JSON.parse(data) as T)) return JSON.parse(data) as T;
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

beforeAll(async () => {
  env = await openAdminTestEnv('adm', {
    partitions: PARTITIONS,
    cacheUrl: `redis://:cache-s3cret@127.0.0.1:${stack.redisPort}`,
  });
  ({ namespace, slot, db, redis, keys } = env);
  sink = new RecordingSink(SINK, redis, `${namespace}:applied`);
  admin = await startAdmin(env.config, {
    port: 0,
    dashboardDir: null,
    runtime: { sinks: [sink] },
    envTokens: '',
    // This suite presents many wrong tokens on purpose; the limit itself is tested in admin-security.test.ts.
    tokenFailures: { max: 10_000, windowMs: 60_000 },
    dlqPickupMs: 300,
  });
});

afterAll(() => closeAdminTestEnv(env, admin));

describe('admin API: authentication and roles', () => {
  const reads = [
    '/api/session',
    '/api/overview',
    '/api/source',
    '/api/log/partitions',
    '/api/workers',
    `/api/sinks`,
    `/api/sinks/${SINK}`,
    `/api/sinks/${SINK}/dlq`,
    '/api/compaction',
    '/api/snapshots',
    '/api/config',
    '/api/metrics/history',
    '/api/openapi.json',
    '/api/docs',
    '/api/events/metrics',
  ];
  const writes = [
    `/api/sinks/${SINK}/pause`,
    `/api/sinks/${SINK}/resume`,
    `/api/sinks/${SINK}/replay`,
    `/api/sinks/${SINK}/dlq/replay`,
    `/api/sinks/${SINK}/dlq/drop`,
    '/api/compaction/run',
    '/api/snapshots',
    '/api/snapshots/initial/pause',
    '/api/snapshots/initial/resume',
    '/api/snapshots/initial/cancel',
  ];

  it('answers 401 on every /api route without a token or with a wrong one', async () => {
    for (const path of [...reads, ...writes]) {
      const method = writes.includes(path) ? 'POST' : 'GET';
      expect((await call(path, { token: null, method })).status, `${method} ${path}`).toBe(401);
      expect((await call(path, { token: 'not-a-real-token', method })).status, `${method} ${path}`).toBe(401);
      expect((await call(path, { token: `${VIEWER_TOKEN}x`, method })).status, `${method} ${path}`).toBe(401);
    }
    expect((await call(`/api/sinks/${SINK}/dlq/1-0`, { token: null, method: 'DELETE' })).status).toBe(401);
  });

  it('answers 403 to a viewer on every state-changing endpoint, and changes nothing', async () => {
    for (const path of writes) expect((await call(path, { method: 'POST', body: {} })).status, path).toBe(403);
    expect((await call(`/api/sinks/${SINK}/dlq/1-0`, { method: 'DELETE' })).status).toBe(403);
    expect(await redis.smembers(keys.pausedSinks())).toEqual([]);
  });

  it('lets a viewer read, and accepts the cookie only for server-sent events and the docs', async () => {
    expect((await call('/api/sinks')).status).toBe(200);
    expect((await call('/api/session')).body).toEqual({ role: 'viewer', who: 'viewer#1' });
    expect((await call('/api/session', { token: OPERATOR_TOKEN })).body).toEqual({
      role: 'operator',
      who: 'operator#2',
    });
    const cookie = `distributary_token=${OPERATOR_TOKEN}`;
    expect((await call('/api/sinks', { token: null, cookie })).status).toBe(401);
    expect((await call('/api/openapi.json', { token: null, cookie })).status).toBe(200);
    expect((await call(`/api/sinks/${SINK}/pause`, { token: null, cookie, method: 'POST' })).status).toBe(401);
  });

  it('serves health, readiness and metrics without a token', async () => {
    expect(await call('/health/live', { token: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await call('/health/ready', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      checks: { [`log-redis:${namespace}`]: { ok: true }, [`source-postgres:${namespace}`]: { ok: true } },
    });
    const metrics = await call('/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^# HELP distributary_process_/m);
  });

  it('publishes the OpenAPI document and the Swagger UI', async () => {
    const doc = await call('/api/openapi.json');
    expect(doc.status).toBe(200);
    const paths = Object.keys((doc.body as { paths: Record<string, unknown> }).paths);
    for (const p of [
      '/api/source',
      '/api/sinks/{name}/dlq',
      '/api/sinks/{name}/replay',
      '/api/compaction/run',
      '/api/events/tail',
    ])
      expect(paths).toContain(p);
    const ui = await call('/api/docs', { token: null, cookie: `distributary_token=${VIEWER_TOKEN}` });
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger-ui/i);
  });

  it('never returns a secret in the config', async () => {
    const config = await call('/api/config');
    expect(config.status).toBe(200);
    expect(config.text).not.toContain('cache-s3cret');
    expect(config.text).not.toContain(VIEWER_TOKEN);
    expect(config.text).not.toContain(OPERATOR_TOKEN);
    expect(config.body).toMatchObject({ log: { namespace, partitions: PARTITIONS }, sinks: [{ name: SINK }] });
  });
});

describe('admin API: pipeline state', () => {
  it('reports the replication slot from Postgres and the connector from Redis', async () => {
    await redis.set(keys.connectorLease(), 'connector-a', 'PX', 60_000);
    await redis.hset(keys.connectorState(), { slot, confirmedLsn: '0/16B3748' });
    const [row] = await db.sql<{ confirmed: string }>(
      `SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    );
    const source = await call('/api/source');
    expect(source.status).toBe(200);
    expect(source.body).toMatchObject({
      slot,
      exists: true,
      active: false,
      plugin: 'pgoutput',
      database: db.name,
      confirmedLsn: row.confirmed,
      connector: { leader: 'connector-a', state: { slot, confirmedLsn: '0/16B3748' } },
    });
    expect(Number((source.body as { retainedWalBytes: string }).retainedWalBytes)).toBeGreaterThanOrEqual(0);
  });

  it('reports partitions and sink lag from the log, and lag falls when positions are committed', async () => {
    const events = productEvents(12, { ageMs: 5_000 });
    const last = await appendEvents(redis, keys, PARTITIONS, events);
    const partitions = (await call('/api/log/partitions')).body as {
      partition: number;
      length: number;
      lastId: string;
    }[];
    expect(partitions.reduce((n, p) => n + p.length, 0)).toBe(12);
    for (const p of partitions) if (p.length) expect(p.lastId).toBe(last.get(p.partition));

    const before = (await call(`/api/sinks/${SINK}`)).body as {
      lagEntries: number;
      lagSeconds: number;
      lagBytes: string;
    };
    expect(before.lagEntries).toBe(12);
    expect(before.lagSeconds).toBeGreaterThanOrEqual(4);
    expect(BigInt(before.lagBytes)).toBeGreaterThan(0n);

    // The sink commits everything in partition 0.
    const p0 = partitions.find((p) => p.partition === 0)!;
    await redis.hset(keys.positions(0), SINK, p0.lastId);
    const after = (await call(`/api/sinks/${SINK}`)).body as {
      lagEntries: number;
      partitions: { lagEntries: number }[];
    };
    expect(after.lagEntries).toBe(12 - p0.length);
    expect(after.partitions[0].lagEntries).toBe(0);
    expect((await call('/api/sinks/unknown-sink')).status).toBe(404);
  });

  it('lists live workers and counts the partitions a sink is retrying on as its errors', async () => {
    expect(((await call(`/api/sinks/${SINK}`)).body as { errors: number }).errors).toBe(0);
    const now = new Date().toISOString();
    await redis.zadd(keys.workers(), Date.now(), 'worker-a');
    await writeWorkerStatus(
      redis,
      keys,
      {
        workerId: 'worker-a',
        host: 'test',
        pid: 1,
        startedAt: now,
        updatedAt: now,
        owned: [
          { sink: SINK, partition: 0, fencingToken: 3, state: 'retrying' },
          { sink: SINK, partition: 1, fencingToken: 4, state: 'reading' },
        ],
        pausedSinks: [],
        members: ['worker-a'],
      },
      60_000,
    );
    expect((await call('/api/workers')).body).toMatchObject([
      { workerId: 'worker-a', owned: [{ sink: SINK }, { sink: SINK }] },
    ]);
    expect(((await call(`/api/sinks/${SINK}`)).body as { errors: number }).errors).toBe(1);
    await redis.del(keys.workerStatus('worker-a'), keys.workers());
  });

  it('pauses and resumes a sink through the paused set every worker reads', async () => {
    expect((await asOperator(`/api/sinks/${SINK}/pause`)).body).toEqual({ sink: SINK, paused: true });
    expect(await redis.smembers(keys.pausedSinks())).toEqual([SINK]);
    expect(((await call(`/api/sinks/${SINK}`)).body as { paused: boolean }).paused).toBe(true);
    expect((await asOperator(`/api/sinks/${SINK}/resume`)).status).toBe(200);
    expect(((await call(`/api/sinks/${SINK}`)).body as { paused: boolean }).paused).toBe(false);
    expect((await asOperator('/api/sinks/unknown-sink/pause')).status).toBe(404);
  });

  it('replays a sink from a position by resetting its committed positions', async () => {
    await redis.hset(keys.positions(1), SINK, '999999999-0');
    const reply = await asOperator(`/api/sinks/${SINK}/replay`, { from: 'start' });
    expect(reply).toMatchObject({ status: 200, body: { sink: SINK, position: 'start' } });
    expect(await redis.hget(keys.positions(0), SINK)).toBeFalsy();
    expect(await redis.hget(keys.positions(1), SINK)).toBeFalsy();
    expect(((await call(`/api/sinks/${SINK}`)).body as { lagEntries: number }).lagEntries).toBe(12);

    const fromId = await asOperator(`/api/sinks/${SINK}/replay`, { from: '1000-3' });
    expect(fromId.body).toMatchObject({ position: '1000-3' });
    expect(await redis.hget(keys.positions(1), SINK)).toBe('1000-3');
    const fromLsn = await asOperator(`/api/sinks/${SINK}/replay`, { from: '0/10' });
    expect(fromLsn.body).toMatchObject({ position: '15-18446744073709551615' });

    const bad = await asOperator(`/api/sinks/${SINK}/replay`, { from: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/not a position/);
    expect((await asOperator(`/api/sinks/${SINK}/replay`, {})).status).toBe(400);
    await asOperator(`/api/sinks/${SINK}/replay`, { from: 'start' });
  });
});

describe('admin API: dead letters', () => {
  it('browses, replays and drops dead letters', async () => {
    const letters = productEvents(3, { reject: true });
    for (const [i, event] of letters.entries())
      await appendDeadLetter(redis, keys, SINK, i % PARTITIONS, event, `value out of range (${i})`);

    const page = await call(`/api/sinks/${SINK}/dlq?limit=2`);
    expect(page.status).toBe(200);
    const first = page.body as {
      total: number;
      next: string;
      entries: { id: string; table: string; op: string; error: string; key: unknown }[];
    };
    expect(first.total).toBe(3);
    expect(first.entries).toHaveLength(2);
    expect(first.entries[0]).toMatchObject({
      table: 'public.products',
      op: 'c',
      error: 'value out of range (0)',
      key: letters[0].key,
    });
    const rest = (await call(`/api/sinks/${SINK}/dlq?after=${first.next}`)).body as {
      entries: { id: string }[];
      next: null;
    };
    expect(rest.entries).toHaveLength(1);
    expect(rest.next).toBeNull();
    expect((await call(`/api/sinks/${SINK}/dlq?limit=0`)).status).toBe(400);
    expect(((await call(`/api/sinks/${SINK}`)).body as { dlqSize: number }).dlqSize).toBe(3);

    // Replay re-syncs the keys from the source through a snapshot (never the stale events): with no
    // connector to run it, 503 saying so, and the letters stay (apps/sink-worker dead-letter-resync.test.ts
    // runs it with a real connector).
    const unserved = await asOperator(`/api/sinks/${SINK}/dlq/replay`, { ids: [first.entries[0].id] });
    expect(unserved.status).toBe(503);
    expect(JSON.stringify(unserved.body)).toMatch(/not picked up within 300 ms; the dead letters are kept/);
    expect(await redis.xlen(keys.deadLetters(SINK))).toBe(3);
    expect(await redis.hget(sink.appliedKey, JSON.stringify(letters[0].key))).toBeNull();
    const [resync] = await new SnapshotRequests(redis, keys).list();
    expect(resync).toMatchObject({ table: 'public.products', status: 'cancelled', keys: [letters[0].key] });
    await redis.del(keys.snapshot(resync.id));
    await redis.zrem(keys.snapshots(), resync.id);

    const remaining = ((await call(`/api/sinks/${SINK}/dlq`)).body as { entries: { id: string }[] }).entries;
    const dropOne = await call(`/api/sinks/${SINK}/dlq/${remaining[0].id}`, {
      token: OPERATOR_TOKEN,
      method: 'DELETE',
    });
    expect(dropOne.body).toEqual({ dropped: 1 });
    expect((await asOperator(`/api/sinks/${SINK}/dlq/drop`, { ids: ['not-an-id'] })).status).toBe(400);
    expect((await asOperator(`/api/sinks/${SINK}/dlq/drop`, {})).body).toEqual({ dropped: 2 });
    expect(await redis.xlen(keys.deadLetters(SINK))).toBe(0);
  });
});

describe('admin API: jobs', () => {
  it('reports and runs compaction', async () => {
    const status = await call('/api/compaction');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ policy: { mode: 'compact' }, entries: 12, lastRun: null });
    const run = await asOperator('/api/compaction/run');
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ mode: 'compact', entriesRemoved: 0 });
    expect(((await call('/api/compaction')).body as { lastRun: { report: unknown } }).lastRun.report).toEqual(run.body);
  });

  it('lists snapshot jobs from the key layout; starts, pauses, resumes and cancels incremental snapshots', async () => {
    expect((await call('/api/snapshots')).body).toEqual([]);
    await redis.hset(keys.initialSnapshot(), {
      status: 'running',
      rowsDone: '250',
      rowsTotal: '1000',
      tables: '["public.products"]',
    });
    const jobs = (await call('/api/snapshots')).body as { id: string; progress: number; tables: string[] }[];
    expect(jobs).toMatchObject([
      { id: 'initial', kind: 'initial', status: 'running', progress: 0.25, tables: ['public.products'] },
    ]);
    const start = await asOperator('/api/snapshots', { tables: ['public.products'] });
    expect(start.status).toBe(202);
    const [started] = start.body as { id: string; table: string; status: string }[];
    expect(started).toMatchObject({ table: 'public.products', status: 'queued' });
    expect((await asOperator(`/api/snapshots/${started.id}/pause`)).body).toMatchObject({ status: 'paused' });
    expect((await asOperator(`/api/snapshots/${started.id}/resume`)).body).toMatchObject({ status: 'queued' });
    expect((await asOperator(`/api/snapshots/${started.id}/cancel`)).body).toMatchObject({ status: 'cancelled' });
    expect((await asOperator('/api/snapshots/initial/pause')).status).toBe(400);
    expect((await asOperator('/api/snapshots', { tables: ['public.nope'] })).status).toBe(400);
    const listed = (await call('/api/snapshots')).body as { id: string; status: string }[];
    expect(listed.find((j) => j.id === started.id)?.status).toBe('cancelled');
  });
});

describe('admin API: server-sent events', () => {
  const cookie = `distributary_token=${VIEWER_TOKEN}`;

  it('streams live metrics samples every second, also kept as 15-minute history', async () => {
    const sample = await readSse<{ t: number; logEntries: number; sinks: Record<string, { lagEntries: number }> }>(
      '/api/events/metrics',
      cookie,
      (data) => data.sinks[SINK] !== undefined,
    );
    expect(sample.logEntries).toBe(12);
    expect(sample.sinks[SINK].lagEntries).toBe(12);
    const history = (await call('/api/metrics/history')).body as { t: number }[];
    expect(history.length).toBeGreaterThan(0);
  });

  it('tails change events appended after subscribing, sampled', async () => {
    let appending: Promise<unknown> | undefined;
    const batch = await readSse<{ seen: number; events: { table: string; id: string }[] }>(
      '/api/events/tail?sample=3',
      cookie,
      (next) => {
        // The first batch proves the tail has fixed its starting point at the partitions' ends.
        appending ??= appendEvents(redis, keys, PARTITIONS, productEvents(5));
        return next.seen > 0;
      },
    );
    await appending;
    expect(batch.seen).toBe(5);
    expect(batch.events).toHaveLength(3);
    expect(batch.events[0].table).toBe('public.products');
    expect((await call('/api/events/tail?sample=500', { cookie })).status).toBe(400);
  });
});

describe('admin API: readiness follows real dependencies', () => {
  it('turns not-ready when the source Postgres is unreachable, and ready again after', async () => {
    const proxy = await startTcpProxy(stack.pgPort);
    const ns = uniqueName('adm_ready');
    const viaProxy = await startAdmin(
      testConfig({
        namespace: ns,
        pgUrl: db.url.replace(`:${stack.pgPort}/`, `:${proxy.port}/`),
        redisUrl: redisUrl(),
        slot,
      }),
      { port: 0, dashboardDir: null, envTokens: '' },
    );
    try {
      const ready = async () => (await fetch(`${viaProxy.url}/health/ready`)).status;
      expect(await ready()).toBe(200);
      proxy.cut();
      await waitFor('not ready', async () => (await ready()) === 503);
      const report = (await (await fetch(`${viaProxy.url}/health/ready`)).json()) as {
        message: { checks: Record<string, { ok: boolean }> };
      } & Record<string, unknown>;
      expect(JSON.stringify(report)).toContain(`source-postgres:${ns}`);
      // Public: the failing check is named, the driver's message (hosts, ports) is not shown.
      expect(JSON.stringify(report)).toContain('unreachable');
      expect(JSON.stringify(report)).not.toMatch(/ECONN|terminated|127\.0\.0\.1/);
      const source = await fetch(`${viaProxy.url}/api/source`, {
        headers: { authorization: `Bearer ${VIEWER_TOKEN}` },
      });
      expect(source.status).toBe(503);
      expect(((await source.json()) as { message: string }).message).toMatch(/a dependency is unavailable/);
      proxy.resume();
      await waitFor('ready again', async () => (await ready()) === 200);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });
});
