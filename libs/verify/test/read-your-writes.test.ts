import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdmin, type RunningAdmin } from '@distributary/admin';
import { connectRedis } from '@distributary/changelog';
import { registry } from '@distributary/observability';
import { VerifyJobs, readVerifyResults, waitForSinkOverHttp, type StoredVerifyResult } from '@distributary/verify';
import { redisUrl } from '@distributary/testkit';
import { waitFor } from '@distributary/testkit';
import { OPERATOR, VIEWER, startPipeline, type Pipeline } from './pipeline';

let pipeline: Pipeline;
let admin: RunningAdmin;

beforeAll(async () => {
  pipeline = await startPipeline();
  admin = await startAdmin(pipeline.config, { port: 0, dashboardDir: null, envTokens: '' });
});

afterAll(async () => {
  await admin?.close();
  await pipeline?.stop();
});

async function currentLsn(): Promise<string> {
  const [row] = await pipeline.db.sql('SELECT pg_current_wal_lsn()::text AS lsn');
  return String(row.lsn);
}

describe('read-your-writes over the admin API', () => {
  it('returns only once the committed row is readable in Elasticsearch and the cache', async () => {
    for (let i = 0; i < 3; i++) {
      const id = 100 + i;
      await pipeline.db.sql(`INSERT INTO products VALUES ($1, $2, 4.5, 1, true)`, [id, `fresh ${id}`]);
      const lsn = await currentLsn();
      const search = await waitForSinkOverHttp(admin.url, VIEWER, 'search', lsn, { timeoutMs: 30_000 });
      expect(search).toMatchObject({ applied: true, timedOut: false });
      const doc = await pipeline.es.get({ index: pipeline.alias, id: String(id) });
      expect(doc._source).toEqual({ title: `fresh ${id}`, price: 4.5, category: 1 });
      const cache = await waitForSinkOverHttp(admin.url, VIEWER, 'cache', lsn, { timeoutMs: 30_000 });
      expect(cache.applied).toBe(true);
      expect(JSON.parse((await pipeline.redis.get(`${pipeline.prefix}product:${id}`)) ?? 'null')).toMatchObject({
        name: `fresh ${id}`,
      });
    }
  });

  it('times out with the sink position when the LSN is not reached, and refuses bad input', async () => {
    const result = await waitForSinkOverHttp(admin.url, VIEWER, 'search', 'FFFF/0', { timeoutMs: 200 });
    expect(result).toMatchObject({ applied: false, timedOut: true, sink: 'search', lsn: 'FFFF/0' });
    expect(result.connectorConfirmedLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    await expect(waitForSinkOverHttp(admin.url, VIEWER, 'search', 'not-an-lsn')).rejects.toThrow(/HTTP 400/);
    await expect(waitForSinkOverHttp(admin.url, VIEWER, 'nope', '0/1')).rejects.toThrow(/HTTP 404/);
  });

  it('POST /api/verify is operator-only, runs the job, and GET /api/verify shows the result per sink', async () => {
    const post = (token: string) =>
      fetch(`${admin.url}/api/verify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sinks: ['sales'] }),
      });
    expect((await post(VIEWER)).status).toBe(403);
    const started = Date.now();
    const accepted = await post(OPERATOR);
    expect(accepted.status).toBe(202);
    const results = await waitFor('the verification result of sales', async () => {
      const response = await fetch(`${admin.url}/api/verify`, { headers: { authorization: `Bearer ${VIEWER}` } });
      const list = (await response.json()) as StoredVerifyResult[];
      const sales = list.find((r) => r.sink === 'sales');
      return sales && Date.parse(sales.verifiedAt) >= started ? list : undefined;
    });
    expect(results.find((r) => r.sink === 'sales')).toMatchObject({ status: 'clean', expectedCount: 4, kind: 'view' });
  });

  it('verify.every schedules a repeatable BullMQ job that stores results and exports metrics', async () => {
    const config = {
      ...pipeline.config,
      verify: { every: 1000, mode: 'sample' as const, sampleSize: 5, timeout: 30_000 },
    };
    const connection = connectRedis({ url: redisUrl() }, { maxRetriesPerRequest: null });
    const jobs = new VerifyJobs({ config, redis: connection });
    const started = Date.now();
    try {
      await jobs.schedule();
      jobs.startWorker();
      const results = await waitFor('a scheduled (sample) verification of every sink', async () => {
        const list = await readVerifyResults(pipeline.redis, pipeline.keys);
        const fresh = list.filter((r) => r.mode === 'sample' && Date.parse(r.verifiedAt) >= started);
        return fresh.length === 3 ? fresh : undefined;
      });
      expect(
        results.map((r) => [r.sink, r.status]),
        JSON.stringify(results),
      ).toEqual([
        ['cache', 'clean'],
        ['sales', 'clean'],
        ['search', 'clean'],
      ]);
      const metrics = await registry.getSingleMetricAsString('distributary_verify_mismatches');
      expect(metrics).toMatch(/distributary_verify_mismatches\{sink="search",kind="missing"\} 0/);
    } finally {
      config.verify.every = 0;
      await jobs.schedule(); // removes the scheduler
      await jobs.close();
      connection.disconnect();
    }
  });
});
