/**
 * An Elasticsearch mapping that cannot hold a legal value: the document is dead-lettered with an
 * explanation (column, value, a mapping that holds it), never a bare mapping error, while the caches
 * hold the value exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanKeys } from '@distributary/sink-redis-cache';
import { waitFor } from '@distributary/testkit';
import { startFidelityPipeline, type FidelityPipeline } from './fidelity-pipeline';

describe('a legal value the Elasticsearch mapping cannot hold', () => {
  let pipeline: FidelityPipeline;

  beforeAll(async () => {
    pipeline = await startFidelityPipeline('CREATE TABLE public.m (id int PRIMARY KEY, j jsonb)', 'public.m');
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('is explained in the dead letter; the caches keep it exactly', async () => {
    await pipeline.db.sql(`INSERT INTO public.m VALUES (1, '{"n": 1}')`); // dynamic mapping: j.n becomes a long
    await pipeline.db.sql(`INSERT INTO public.m VALUES (2, '{"n": 12345678901234567890}')`);
    const letters = await waitFor('the dead letter', async () => {
      const found: string[] = [];
      for (const key of await scanKeys(pipeline.redis, `{${pipeline.alias}:dlq:search}*`))
        if ((await pipeline.redis.type(key)) === 'stream')
          for (const [, flat] of await pipeline.redis.xrange(key, '-', '+'))
            found.push(flat[flat.indexOf('error') + 1]);
      return found.length > 0 ? found : undefined;
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatch(
      /^Elasticsearch's mapping \[long\] of field "j\.n" cannot hold this legal value of column "j" \(value 12345678901234567890\)/,
    );
    expect(letters[0]).toContain('flattened');
    await waitFor('both caches', async () => {
      return (await pipeline.redis.exists(`${pipeline.jsonPrefix}2`, `${pipeline.hashPrefix}2`)) === 2;
    });
    expect(await pipeline.redis.get(`${pipeline.jsonPrefix}2`)).toBe('{"id":2,"j":{"n": 12345678901234567890}}');
    expect(await pipeline.redis.hget(`${pipeline.hashPrefix}2`, 'j')).toBe('{"n": 12345678901234567890}');
  });
});
