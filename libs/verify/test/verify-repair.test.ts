import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../../apps/cli/src/test-support/in-process';
import { verifyAndRepair, verifySink, type VerifyAndRepairResult, type VerifyResult } from '@distributary/verify';
import { withClient } from '@distributary/testkit';
import { startPipeline, type Pipeline } from './pipeline';

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline();
});

afterAll(async () => {
  await pipeline?.stop();
});

const keysOf = (list: { key: string }[]) => list.map((d) => d.key).sort();

async function verifyAll(): Promise<Record<string, VerifyResult>> {
  const results: Record<string, VerifyResult> = {};
  for (const sink of pipeline.config.sinks) {
    results[sink.name] = await verifySink(pipeline.config, sink, { redis: pipeline.redis }, { timeoutMs: 60_000 });
  }
  return results;
}

describe('verify and repair against a running pipeline', () => {
  it('is clean once the pipeline has caught up, and counts every key', async () => {
    const results = await verifyAll();
    for (const result of Object.values(results))
      expect(result, JSON.stringify(result)).toMatchObject({ status: 'clean' });
    expect(results.search.expectedCount).toBe(20);
    // 16 active products: one value each plus one group member each
    expect(results.cache.expectedCount).toBe(32);
    expect(results.sales.expectedCount).toBe(4);
  });

  it('reports exactly the injected divergence in Elasticsearch, Redis and the view table', async () => {
    const { es, alias, redis, prefix, db } = pipeline;
    await es.delete({ index: alias, id: '1', refresh: true });
    await es.index({ index: alias, id: '2', document: { title: 'tampered', price: 2.5, category: 2 }, refresh: true });
    await es.index({ index: alias, id: 'ghost', document: { title: 'nobody' }, refresh: true });
    await redis.del(`${prefix}product:3`);
    await redis.set(`${prefix}product:4`, JSON.stringify({ id: 4, name: 'tampered' }));
    await redis.set(`${prefix}product:999`, JSON.stringify({ id: 999 }));
    await redis.zrem(`${prefix}category:0`, `${prefix}product:6`);
    await withClient(db.url, async (c) => {
      await c.query('DELETE FROM analytics.sales WHERE category_id = 1');
      await c.query('UPDATE analytics.sales SET revenue = revenue + 1 WHERE category_id = 2');
      await c.query('INSERT INTO analytics.sales (category_id, orders, revenue) VALUES (99, 1, 1)');
    });

    const results = await verifyAll();
    expect(results.search).toMatchObject({ status: 'different', missingCount: 1, extraCount: 1, differentCount: 1 });
    expect(keysOf(results.search.missing)).toEqual(['1']);
    expect(keysOf(results.search.different)).toEqual(['2']);
    expect(keysOf(results.search.extra)).toEqual(['ghost']);
    expect(results.search.different[0]).toMatchObject({
      expected: { title: 'product 2' },
      actual: { title: 'tampered' },
    });

    expect(results.cache).toMatchObject({ status: 'different', missingCount: 2, extraCount: 1, differentCount: 1 });
    expect(keysOf(results.cache.missing)).toEqual(
      [`member ${JSON.stringify([`${prefix}category:0`, `${prefix}product:6`])}`, `value ${prefix}product:3`].sort(),
    );
    expect(keysOf(results.cache.different)).toEqual([`value ${prefix}product:4`]);
    expect(keysOf(results.cache.extra)).toEqual([`value ${prefix}product:999`]);

    expect(results.sales).toMatchObject({ status: 'different', missingCount: 1, extraCount: 1, differentCount: 1 });
    expect(keysOf(results.sales.missing)).toEqual(['["1"]']);
    expect(keysOf(results.sales.different)).toEqual(['["2"]']);
    expect(keysOf(results.sales.extra)).toEqual(['["99"]']);
  });

  it('distributary verify exits 1 with the differences; --repair fixes them; a second verify is clean', async () => {
    const file = pipeline.configFile;
    const report = await runInProcess(['verify', '--config', file, '--json']);
    expect(report.code, report.stderr).toBe(1);
    const before = JSON.parse(report.stdout) as VerifyAndRepairResult[];
    expect(before.map((o) => [o.before.sink, o.before.status])).toEqual([
      ['search', 'different'],
      ['cache', 'different'],
      ['sales', 'different'],
    ]);

    const repaired = await runInProcess(['verify', '--config', file, '--repair', '--json', '--pickup', '30000']);
    const outcomes = JSON.parse(repaired.stdout) as VerifyAndRepairResult[];
    for (const outcome of outcomes) {
      expect(outcome.after, JSON.stringify(outcome)).toMatchObject({ status: 'clean', missingCount: 0, extraCount: 0 });
      // the pipeline path: the running connector took the targeted snapshot, no fallback was needed
      expect(outcome.repair, JSON.stringify(outcome.repair)).toMatchObject({ fallback: false });
      expect(outcome.repair?.snapshots.map((s) => s.status)).toEqual(['done']);
    }
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(outcomes.find((o) => o.before.sink === 'search')?.repair).toMatchObject({ deleted: 1 });

    const sampled = await runInProcess(['verify', '--config', file, '--sink', 'search', '--sample', '5', '--json']);
    expect(sampled.code, sampled.stderr).toBe(0);
    const [sample] = JSON.parse(sampled.stdout) as VerifyAndRepairResult[];
    expect(sample.before).toMatchObject({ sink: 'search', mode: 'sample', status: 'clean' });
    expect(sample.before.expectedCount).toBeLessThan(20);
    expect(sample.before.actualCount).toBe(sample.before.expectedCount);

    const table = await runInProcess(['verify', '--config', file]);
    expect(table.code, table.stdout + table.stderr).toBe(0);
    expect(table.stdout).toMatch(/search\s+│?\s*verify\s+│?\s*clean/);
    // the documents really are back
    const doc = await pipeline.es.get({ index: pipeline.alias, id: '1' });
    expect(doc._source).toEqual({ title: 'product 1', price: 1.25, category: 1 });
    expect(await pipeline.redis.exists(`${pipeline.prefix}product:999`)).toBe(0);
  });

  it('reports a sink that has not caught up as behind (not as different), with where it stands', async () => {
    const unrun = { ...pipeline.sinks.search, name: 'never-run' };
    const result = await verifySink(pipeline.config, unrun, { redis: pipeline.redis }, { timeoutMs: 300 });
    expect(result).toMatchObject({ sink: 'never-run', status: 'behind', passes: 0, missingCount: 0 });
    expect(result.progress?.behind.length).toBeGreaterThan(0);
    expect(result.progress?.behind[0]).toMatchObject({ committed: undefined });
  });

  it("falls back to the sink's own apply (ES, Redis) and a locked rewrite (view) when no connector takes the snapshot", async () => {
    const { es, alias, redis, prefix, db } = pipeline;
    await es.delete({ index: alias, id: '5', refresh: true });
    await redis.set(`${prefix}product:7`, JSON.stringify({ id: 7, name: 'tampered' }));
    await withClient(db.url, (c) => c.query('UPDATE analytics.sales SET orders = 0 WHERE category_id = 3'));
    // The same pipeline seen through a log namespace no connector serves: its repair snapshots are never
    // picked up (the divergence is static, so the vacuous wait on that empty log changes nothing).
    const unserved = {
      ...pipeline.config,
      log: { ...pipeline.config.log, namespace: `${pipeline.keys.namespace}-unserved` },
    };
    for (const sink of unserved.sinks) {
      const outcome = await verifyAndRepair(
        unserved,
        sink,
        { redis, pipeline: pipeline.keys.namespace },
        { pickupMs: 300 },
      );
      expect(outcome.before.status).toBe('different');
      expect(outcome.repair, JSON.stringify(outcome.repair)).toMatchObject({ fallback: true });
      expect(outcome.after, JSON.stringify(outcome.after)).toMatchObject({ status: 'clean' });
    }
  });
});
