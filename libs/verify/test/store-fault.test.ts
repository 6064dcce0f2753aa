import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySink } from '@distributary/verify';
import { startPipeline, type Pipeline } from './pipeline';

/**
 * A store that changed a value beyond double precision is reported: products.spec is jsonb holding
 * 1234567890123456789<i> (beyond 2^63) and 1.00000000000000000000<i>. The Redis cache holds the row
 * as JSON; rounding those numbers in the stored value (what JSON.parse + JSON.stringify would do) must
 * be a difference — a verify that parsed both sides with JSON.parse would see two equal doubles.
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
