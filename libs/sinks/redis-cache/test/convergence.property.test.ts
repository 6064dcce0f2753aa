import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { batch, cacheSuite, ev, pairs, targets } from './harness';

describe.each(targets)('redis cache sink convergence on $name', (target) => {
  const suite = cacheSuite(target);

  it('property: any delivery order, with duplicates, converges to the newest state of every row', async () => {
    const { client, open, get, group } = suite;
    const step = fc.record({
      id: fc.integer({ min: 1, max: 4 }),
      op: fc.constantFrom<'c' | 'u' | 'd'>('c', 'u', 'u', 'd'),
      category: fc.integer({ min: 1, max: 3 }),
      status: fc.constantFrom('active', 'draft'),
      price: fc.integer({ min: 0, max: 50 }),
    });
    const scenario = fc.array(step, { minLength: 1, maxLength: 16 }).chain((steps) =>
      fc.record({
        steps: fc.constant(steps),
        extra: fc.array(fc.nat({ max: steps.length - 1 }), { maxLength: 10 }),
        order: fc.array(fc.nat(), { minLength: steps.length + 10, maxLength: steps.length + 10 }),
        cuts: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 30, maxLength: 30 }),
      }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ steps, extra, order, cuts }) => {
        await suite.renew(`rcp${run++}`);
        const prefix = suite.prefix;
        const sink = await open({
          filter: 'status = "active"',
          queries: [{ key: `${prefix}:category:{category_id}:products`, score: 'price', member: '{id}' }],
        });
        const log = steps.map((s, i) =>
          s.op === 'd'
            ? ev('d', 1000 + i, { id: s.id })
            : ev(s.op, 1000 + i, { id: s.id, category_id: s.category, status: s.status, price: String(s.price) }),
        );
        // every event at least once, some twice, in a scrambled order, in batches of random sizes
        const delivery = [...log.keys(), ...extra]
          .map((index, i) => ({ index, rank: order[i] ?? 0 }))
          .sort((a, b) => a.rank - b.rank)
          .map(({ index }) => log[index]);
        for (let at = 0, c = 0; at < delivery.length; at += cuts[c++ % cuts.length])
          await sink.apply(batch(delivery.slice(at, at + cuts[c % cuts.length])));

        const newest = new Map<number, ChangeEvent>();
        for (const event of log) newest.set(event.key.id as number, event);
        const expectedGroups = new Map<number, string[]>([1, 2, 3].map((c) => [c, []]));
        for (const [id, event] of newest) {
          const live = event.op !== 'd' && event.after?.status === 'active';
          expect(await get(id)).toEqual(live ? event.after : null);
          if (live)
            expectedGroups.get(event.after?.category_id as number)?.push(String(id), String(event.after?.price));
        }
        for (const [category, members] of expectedGroups) {
          const actual = await client.zrange(group(category), 0, -1, 'WITHSCORES');
          expect(pairs(actual)).toEqual(pairs(members));
        }
      }),
      { numRuns: 20 },
    );
  });
});
