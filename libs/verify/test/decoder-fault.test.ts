import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifySink, type VerifyResult } from '@distributary/verify';
import { startPipeline, type Pipeline } from './pipeline';

/**
 * verify is an independent oracle: with the pipeline's decoder broken on purpose — it rounds every
 * decimal to an integer, as a JSON.parse of a big number would lose digits — every sink holds
 * rounded values, and verify must report them. (A verify that computed its expected values with the
 * same decoder would say "clean".) The decoder module is replaced for the whole pipeline: the connector's
 * streaming path and its snapshot reader both import it.
 */
vi.mock('../../postgres/decode/src/types/convert', async (importOriginal) => {
  const original = await importOriginal<typeof import('@distributary/pg-decode')>();
  const DECIMAL = /^-?\d+\.\d+$/;
  const round = (value: unknown): unknown =>
    typeof value === 'string' && DECIMAL.test(value) ? String(Math.round(Number(value))) : value;
  // Both entry points: the streaming decoder converts scalars with convertScalar, arrays and the
  // snapshot reader with convertValue.
  return {
    ...original,
    convertValue: (...args: Parameters<typeof original.convertValue>) => round(original.convertValue(...args)),
    convertScalar: (...args: Parameters<typeof original.convertScalar>) => round(original.convertScalar(...args)),
  };
});

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline();
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('verify with a faulty decoder in the pipeline', () => {
  it('reports the rounded values in Elasticsearch, the Redis cache and the view', async () => {
    const results: Record<string, VerifyResult> = {};
    for (const sink of pipeline.config.sinks)
      results[sink.name] = await verifySink(pipeline.config, sink, { redis: pipeline.redis }, { timeoutMs: 60_000 });

    // products.price = id * 1.25 and the document holds $number(price): for every id that is not a
    // multiple of 4 the rounded price is another number (4 * 1.25 = '5.00' → '5' is still 5).
    expect(results.search, JSON.stringify(results.search)).toMatchObject({ status: 'different', differentCount: 15 });
    expect(results.search.different[0]).toMatchObject({
      key: '1',
      expected: { title: 'product 1', price: 1.25 },
      actual: { title: 'product 1', price: 1 },
    });

    // Redis: the 16 active products' JSON values all differ (the price text: '5.00' became '5').
    expect(results.cache.status).toBe('different');
    expect(results.cache.differentCount).toBeGreaterThanOrEqual(16);

    // The view sums rounded amounts (orders.amount = id * 2.5).
    expect(results.sales).toMatchObject({ status: 'different' });
    expect(results.sales.differentCount).toBeGreaterThan(0);
  });
});
