import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import { createTestDatabase, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { startAdmin, type RunningAdmin } from './start-admin';
import { callApi } from './testing/http-client';
import { VIEWER_TOKEN, testConfig } from './testing/pipeline-fixture';

// The slot as a real dependency of readiness, and lag measured against the source, on the real stack.
let db: TestDatabase;
let redis: RedisClient;
const admins: RunningAdmin[] = [];
const namespaces: string[] = [];

async function admin(slot: string, slotWarnAt?: number): Promise<RunningAdmin> {
  const namespace = uniqueName('adm_slot_ns');
  namespaces.push(namespace);
  const config = testConfig({ namespace, pgUrl: db.url, redisUrl: redisUrl(), slot, sinks: ['cache'] });
  if (slotWarnAt) config.source.slotWarnAt = slotWarnAt;
  const started = await startAdmin(config, { port: 0, dashboardDir: null, envTokens: '' });
  admins.push(started);
  return started;
}

interface Ready {
  status: string;
  checks: Record<string, { ok: boolean; degraded?: boolean; error?: string }>;
}

function readiness(body: unknown): Ready {
  const value = body as Ready & { message?: Ready };
  return value.checks ? value : (value.message as Ready);
}

beforeAll(async () => {
  db = await createTestDatabase('adm_slot');
  redis = connectRedis({ url: redisUrl() });
});

afterAll(async () => {
  for (const a of admins) await a.close();
  for (const ns of namespaces) {
    const found = await redis.keys(`*${ns}*`);
    if (found.length) await redis.del(...found);
  }
  redis.disconnect();
  await db.drop();
});

describe('admin API: slot health and lag against the source', () => {
  it('a missing slot makes the pipeline not ready, with the reason, and no sink is caught up', async () => {
    const slot = uniqueName('adm_missing');
    const running = await admin(slot);
    const ready = await callApi(running.url, '/health/ready');
    expect(ready.status).toBe(503);
    const check = Object.entries(readiness(ready.body).checks).find(([name]) => name.startsWith('replication-slot:'));
    expect(check?.[1]).toMatchObject({ ok: false });
    expect(check?.[1].error).toContain(`replication slot "${slot}" does not exist`);
    const source = (await callApi(running.url, '/api/source', { token: VIEWER_TOKEN })).body as {
      health: { state: string; exists: boolean };
    };
    expect(source.health).toMatchObject({ state: 'missing', exists: false });
    const sinks = (await callApi(running.url, '/api/sinks', { token: VIEWER_TOKEN })).body as {
      name: string;
      sourceLag: { caughtUp: boolean; why: string };
    }[];
    expect(sinks.length).toBeGreaterThan(0);
    for (const sink of sinks)
      expect(sink.sourceLag).toMatchObject({ caughtUp: false, why: 'the replication slot does not exist' });
    // Read-your-writes cannot succeed: the timeout says why.
    const [{ lsn }] = await db.sql<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const wait = await callApi(running.url, `/api/sinks/cache/wait?lsn=${lsn}&timeoutMs=300`, { token: VIEWER_TOKEN });
    expect(wait.body).toMatchObject({ applied: false, timedOut: true });
    expect((wait.body as { why?: string }).why).toContain(`replication slot "${slot}" does not exist`);
    const metrics = await callApi(running.url, '/metrics');
    expect(metrics.text).toMatch(/distributary_sink_caught_up\{sink="cache"\} 0/);
    // Readiness is per process: the next case starts its own admin.
    await running.close();
    admins.splice(admins.indexOf(running), 1);
  });

  it('retained WAL past source.slotWarnAt degrades readiness (200) with the early warning', async () => {
    const slot = uniqueName('adm_warn');
    await db.sql(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    try {
      await db.sql(
        `CREATE TABLE IF NOT EXISTS wal_filler (v text); INSERT INTO wal_filler SELECT 'x' FROM generate_series(1, 100)`,
      );
      const running = await admin(slot, 1e-12);
      const ready = await callApi(running.url, '/health/ready');
      expect(ready.status, ready.text).toBe(200);
      const report = readiness(ready.body);
      expect(report.status).toBe('degraded');
      const check = Object.entries(report.checks).find(([name]) => name.startsWith('replication-slot-wal:'));
      expect(check?.[1]).toMatchObject({ ok: false, degraded: true });
      expect(check?.[1].error).toMatch(/retained WAL \d+ B passed 0 % of/);
      const source = (await callApi(running.url, '/api/source', { token: VIEWER_TOKEN })).body as {
        health: { state: string; walStatus: string; maxSlotWalKeepSize: string };
      };
      expect(source.health).toMatchObject({ state: 'warning', walStatus: 'reserved' });
      expect(source.health.maxSlotWalKeepSize).toMatch(/^-?\d+$/);
    } finally {
      await db.sql(`SELECT pg_drop_replication_slot($1)`, [slot]);
    }
  });
});
