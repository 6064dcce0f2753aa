import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import { createTestDatabase, redisUrl, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import { startAdmin, type RunningAdmin } from './start-admin';
import { callApi } from './testing/http-client';
import { testConfig } from './testing/pipeline-fixture';

// A connector blocked on a lock another session holds: /health/ready is degraded with the reason
// (what waits, held by whom, since when), and ok again once the lock is released. Real lock, real stack.
let db: TestDatabase;
let redis: RedisClient;
let admin: RunningAdmin | undefined;
let connector: Connector | undefined;
const namespace = uniqueName('adm_wait_ns');

interface Check {
  ok: boolean;
  degraded?: boolean;
  error?: string;
}

async function waitCheck(url: string): Promise<{ status: number; check: Check | undefined }> {
  const ready = await callApi(url, '/health/ready');
  const body = ready.body as { checks?: Record<string, Check>; message?: { checks: Record<string, Check> } };
  const checks = body.checks ?? body.message?.checks ?? {};
  const found = Object.entries(checks).find(([name]) => name.startsWith('connector-waits:'));
  return { status: ready.status, check: found?.[1] };
}

beforeAll(async () => {
  db = await createTestDatabase('adm_wait');
  redis = connectRedis({ url: redisUrl() });
  await db.sql(`CREATE TABLE products (id int PRIMARY KEY, name text)`);
});

afterAll(async () => {
  await connector?.stop();
  await admin?.close();
  const found = await redis.keys(`*${namespace}*`);
  if (found.length) await redis.del(...found);
  redis.disconnect();
  await db?.drop();
});

describe('admin API: a connector waiting on a lock', () => {
  it('/health/ready degrades with what it waits for and who holds it, then recovers', async () => {
    const slot = uniqueName('adm_wait');
    const config = testConfig({ namespace, pgUrl: db.url, redisUrl: redisUrl(), slot, sinks: ['cache'] });
    config.source.postgres.snapshot = 'never';
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
    const { pid } = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0];
    try {
      connector = new Connector({ config, logger: silentLogger });
      void connector.run();
      admin = await startAdmin(config, { port: 0, dashboardDir: null, envTokens: '' });
      const url = admin.url;
      const degraded = await waitFor(
        'readiness names the lock',
        async () => {
          const seen = await waitCheck(url);
          return seen.check?.error?.includes(`held by pid ${pid}`) ? seen : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(degraded.check).toMatchObject({ ok: false, degraded: true });
      expect(degraded.check?.error).toMatch(
        new RegExp(
          `^connector waiting since \\S+: .*waits for a lock on table products \\(\\w+Lock\\) held by pid ${pid}`,
        ),
      );
    } finally {
      await blocker.query('COMMIT');
      await blocker.end();
    }
    const url = admin.url;
    await waitFor(
      'readiness no longer degraded by the wait',
      async () => {
        const seen = await waitCheck(url);
        return seen.check?.ok ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
  });
});
