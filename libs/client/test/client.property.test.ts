/**
 * Property: the real client under random writes (inserts, price changes, moves across the filter,
 * deletes, two-row transactions) and random connection cuts (a real TCP proxy in front of a real
 * gateway). Whatever the pattern, once the connection is back the copy equals the filtered SELECT,
 * and no transaction was applied twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@distributary/testkit';
import { KEY, startGatewayPipeline, SUBSCRIPTION } from '../../gateway/test/gateway-pipeline';
import { applyStep, proxiedGateway, type Step } from './proxied-steps';
import { subscribe, subscriptionUrl, type Change } from '../src';
import { issueToken } from '../src/server';

const fixture = proxiedGateway(() => startGatewayPipeline());

const id = fc.integer({ min: 0, max: 7 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('upsert' as const),
    id,
    inside: fc.boolean(),
    price: fc.integer({ min: 0, max: 999 }),
  }),
  fc.record({ kind: fc.constant('price' as const), id, price: fc.integer({ min: 0, max: 999 }) }),
  fc.record({ kind: fc.constant('move' as const), id, inside: fc.boolean() }),
  fc.record({ kind: fc.constant('delete' as const), id }),
  fc.record({ kind: fc.constant('tx' as const), a: id, b: id, inside: fc.boolean() }),
  fc.constant({ kind: 'cut' as const }),
  fc.constant({ kind: 'reconnect' as const }),
);

let run = 0;

/** Runs one step; true when it wrote (one source transaction). */
const apply = (s: Step, base: number, inside: number, outside: number): Promise<boolean> =>
  applyStep(s, { db: fixture.p.db, proxy: fixture.proxy, base, inside, outside, txPrice: 1 });

describe('client property: random writes and cuts', () => {
  it('the copy equals the filtered SELECT once connected again; no transaction applied twice', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        run++;
        const base = run * 100;
        const inside = 1000 + run;
        const outside = 2000 + run;
        fixture.proxy.resume();
        const changes: Change[] = [];
        const subscription = subscribe(subscriptionUrl(fixture.proxy.url('http'), SUBSCRIPTION), {
          params: { category: inside },
          getToken: () => issueToken({ subscription: SUBSCRIPTION, params: { category: inside }, key: KEY }),
          backoff: { initialMs: 20, maxMs: 200 },
          onChange: (c) => changes.push(c),
        });
        try {
          for (const s of steps) await apply(s, base, inside, outside);
          fixture.proxy.resume();
          let expected: Record<string, unknown>[] = [];
          const copy = () => [...subscription.rows().values()].sort((a, b) => (a.id as number) - (b.id as number));
          await waitFor(
            'the copy to equal the SELECT',
            async () => {
              expected = await fixture.p.expected(inside);
              return subscription.status === 'live' && JSON.stringify(copy()) === JSON.stringify(expected);
            },
            { timeoutMs: 60_000, intervalMs: 50 },
          ).catch(() => undefined);
          expect(copy()).toEqual(expected);
          const applied = changes.map((c) => `${c.id} ${JSON.stringify(c.key)}`);
          expect(new Set(applied).size).toBe(applied.length);
        } finally {
          subscription.close();
        }
      }),
      { numRuns: 15 },
    );
  });
});
