import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAndRepair, verifySink } from '@distributary/verify';
import { startPipeline, type Pipeline } from './pipeline';

/**
 * A store that changed a value beyond double precision is reported: products.spec is jsonb holding
 * 1234567890123456789<i> (beyond 2^63) and 1.00000000000000000000<i>. The Redis cache holds the row
 * as JSON; rounding those numbers in the stored value (what JSON.parse + JSON.stringify would do) must
 * be a difference — a verify that parsed both sides with JSON.parse would see two equal doubles.
 * And a view: exact after a NaN is retracted, and repaired (converging) when its hidden state is damaged.
 */
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline();
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('verify reads stores losslessly', () => {
  it('is clean with the exact numbers, and reports a value rounded in the store', async () => {
    const cache = pipeline.sinks.cache;
    const clean = await verifySink(pipeline.config, cache, { redis: pipeline.redis }, { timeoutMs: 60_000 });
    expect(clean, JSON.stringify(clean)).toMatchObject({ status: 'clean', expectedCount: 32 });

    const key = `${pipeline.prefix}product:7`;
    const stored = await pipeline.redis.get(key);
    expect(stored).toContain('12345678901234567897');
    expect(stored).toContain('1.000000000000000000007');
    // JSON.parse → JSON.stringify of the stored value: the numbers become the nearest doubles.
    const rounded = JSON.stringify(JSON.parse(stored ?? 'null'));
    expect(rounded).not.toBe(stored);
    await pipeline.redis.set(key, rounded);

    const result = await verifySink(pipeline.config, cache, { redis: pipeline.redis }, { timeoutMs: 60_000 });
    expect(result).toMatchObject({ status: 'different', differentCount: 1, missingCount: 0, extraCount: 0 });
    expect(result.different[0].key).toBe(`value ${key}`);
    expect(result.different[0].expected).toMatchObject({ spec: { big: '12345678901234567897' } });
    expect(result.different[0].actual).toMatchObject({ spec: { big: 12345678901234567000 } });
  });
});

describe('views: exact values and repair that converges', () => {
  it('a NaN inserted then deleted leaves the view exact, and damaged group state is repaired', async () => {
    const { db, sinks, config, redis } = pipeline;
    await db.sql(`INSERT INTO orders VALUES (101, 1, 'NaN'), (102, 1, 1.5)`);
    await db.sql(`DELETE FROM orders WHERE id = 101`);
    const clean = await verifySink(config, sinks.sales, { redis }, { timeoutMs: 60_000 });
    expect(clean, JSON.stringify(clean)).toMatchObject({ status: 'clean' });

    // Damage the view's hidden group state (what the old NaN bug did): every later change of that
    // group would be computed from it, so rewriting the view row alone cannot converge.
    const [{ groups }] = await db.sql<{ groups: string }>(
      `SELECT quote_ident(table_name) AS groups FROM information_schema.tables
       WHERE table_schema = 'distributary_views' AND table_name LIKE '%\_groups'`,
    );
    await db.sql(`UPDATE distributary_views.${groups} SET sum_0 = sum_0 + 1000`);
    await db.sql(`INSERT INTO orders VALUES (103, 1, 2.25)`);
    const damaged = await verifySink(config, sinks.sales, { redis }, { timeoutMs: 60_000 });
    expect(damaged).toMatchObject({ status: 'different' });
    expect(damaged.different.map((d) => d.key)).toEqual(['["1"]']);

    const repaired = await verifyAndRepair(config, sinks.sales, { redis }, { timeoutMs: 60_000, pickupMs: 30_000 });
    expect(repaired.repair, JSON.stringify(repaired.repair)).toMatchObject({ fallback: false });
    expect(repaired.repair?.notes.join(' ')).toMatch(/group state recomputed/);
    expect(repaired.after, JSON.stringify(repaired.after)).toMatchObject({ status: 'clean' });

    // and it stays right: the next change of the group is computed from repaired state
    await db.sql(`DELETE FROM orders WHERE id = 102`);
    expect(await verifySink(config, sinks.sales, { redis }, { timeoutMs: 60_000 })).toMatchObject({ status: 'clean' });
  });
});
