import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { registry } from '@distributary/observability';
import { classifyFailure } from '../src/write/redis-errors';
import { TABLE, batch, cacheSuite, ev, targets } from './harness';

describe.each(targets)('redis cache sink failures on $name', (target) => {
  const suite = cacheSuite(target);

  it('rows that cannot be rendered are rejected with the reason; the rest of the batch is applied', async () => {
    const { client, prefix, open, get, group } = suite;
    const sink = await open({
      key: `${prefix}:product:{id}`,
      filter: '$number(weight) > 0',
      queries: [{ key: `${prefix}:category:{category_id}:products`, score: 'price' }],
    });
    const good = ev('c', 100, { id: 1, weight: '2', category_id: 1, price: '3' });
    const badFilter = ev('c', 101, { id: 2, weight: 'heavy', category_id: 1, price: '3' });
    const badScore = ev('c', 102, { id: 3, weight: '1', category_id: 1, price: 'cheap' });
    const noKey: ChangeEvent = { ...ev('c', 103, { id: 4 }), after: { weight: '1', category_id: 1, price: '1' } };
    const result = await sink.apply(batch([good, badFilter, badScore, noKey]));
    expect(result.applied).toBe(1);
    expect(result.rejected.map((r) => r.event)).toEqual([badFilter, badScore, noKey]);
    expect(result.rejected[0].error).toMatch(/filter .* failed/);
    expect(result.rejected[1].error).toMatch(/score column "price"/);
    expect(result.rejected[2].error).toMatch(/needs column "id"/);
    expect(await get(1)).not.toBeNull();
    expect(await get(2)).toBeNull();
    expect(await get(3)).toBeNull(); // nothing of a rejected event is written
    expect(await client.zcard(group(1))).toBe(1);
    const metrics = await registry.getSingleMetricAsString('distributary_redis_cache_events_total');
    expect(metrics).toMatch(/result="rejected"} [1-9]/);
  });

  it('a permanent Redis error (WRONGTYPE) rejects that event only; a programming error is not hidden', async () => {
    const { client, prefix, open, group } = suite;
    const sink = await open({ queries: [{ key: `${prefix}:category:{category_id}:products`, member: '{id}' }] });
    await client.set(group(1), 'not a set');
    const result = await sink.apply(
      batch([ev('c', 100, { id: 1, category_id: 1 }), ev('c', 101, { id: 2, category_id: 2 })]),
    );
    expect(result.applied).toBe(1);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0].error).toMatch(/WRONGTYPE/);
    expect(await client.smembers(group(2))).toEqual(['2']);
    expect(classifyFailure(new TypeError('x'))).toBe('bug');
    expect(classifyFailure(new Error('Connection is closed.'))).toBe('retry');
  });

  it('a delete whose key needs a column the event lacks and no row state is rejected, not guessed', async () => {
    const { client, prefix, open, get } = suite;
    const sink = await open({ key: `${prefix}:product:{slug}` });
    const result = await sink.apply(batch([ev('d', 100, { id: 1 })]));
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0].error).toMatch(/REPLICA IDENTITY FULL/);
    // with a full `before` image it works
    await sink.apply(batch([ev('c', 200, { id: 2, slug: 'b' })]));
    await client.del(`${prefix}:state:row:${TABLE}:[["id",2]]`); // row state lost
    const ok = await sink.apply(batch([ev('d', 300, { id: 2 }, { before: { id: 2, slug: 'b' } })]));
    expect(ok.applied).toBe(1);
    expect(await get('b')).toBeNull();
  });
});
