/**
 * Property: the real client under random writes (inserts, price changes, moves across the filter,
 * deletes, two-row transactions) and random connection cuts (a real TCP proxy in front of a real
 * gateway). Whatever the pattern, once the connection is back the copy equals the filtered SELECT,
 * and no transaction was applied twice.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, waitFor, type TcpProxy } from '@distributary/testkit';
import { KEY, startGatewayPipeline, SUBSCRIPTION, type GatewayPipeline } from '../../gateway/test/gateway-pipeline';
import { subscribe, subscriptionUrl, type Change } from '../src';
import { issueToken } from '../src/server';

let p: GatewayPipeline;
let proxy: TcpProxy;
beforeAll(async () => {
  p = await startGatewayPipeline();
  proxy = await startTcpProxy(Number(new URL(p.url).port));
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await p?.stop();
}, 180_000);

type Step =
  | { kind: 'upsert'; id: number; inside: boolean; price: number }
  | { kind: 'price'; id: number; price: number }
  | { kind: 'move'; id: number; inside: boolean }
  | { kind: 'delete'; id: number }
  | { kind: 'tx'; a: number; b: number; inside: boolean }
  | { kind: 'cut' }
  | { kind: 'reconnect' };

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

async function apply(s: Step, base: number, inside: number, outside: number): Promise<void> {
  const category = (yes: boolean) => (yes ? inside : outside);
  switch (s.kind) {
    case 'upsert':
      return void (await p.db.sql(
        `INSERT INTO items VALUES ($1, $2, 'p', $3, NULL)
         ON CONFLICT (id) DO UPDATE SET category_id = EXCLUDED.category_id, price = EXCLUDED.price`,
        [base + s.id, category(s.inside), s.price],
      ));
    case 'price':
      return void (await p.db.sql(`UPDATE items SET price = $2 WHERE id = $1`, [base + s.id, s.price]));
    case 'move':
      return void (await p.db.sql(`UPDATE items SET category_id = $2 WHERE id = $1`, [
        base + s.id,
        category(s.inside),
      ]));
    case 'delete':
      return void (await p.db.sql(`DELETE FROM items WHERE id = $1`, [base + s.id]));
    case 'tx':
      return void (await p.db.sql(
        `BEGIN;
         INSERT INTO items VALUES (${base + s.a}, ${category(s.inside)}, 'tx', 1, NULL)
           ON CONFLICT (id) DO UPDATE SET category_id = EXCLUDED.category_id, name = 'tx';
         DELETE FROM items WHERE id = ${base + s.b} AND ${s.a} <> ${s.b};
         COMMIT`,
      ));
    case 'cut':
      return proxy.cut();
    case 'reconnect':
      return proxy.resume();
  }
}

describe('client property: random writes and cuts', () => {
  it('the copy equals the filtered SELECT once connected again; no transaction applied twice', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        run++;
        const base = run * 100;
        const inside = 1000 + run;
        const outside = 2000 + run;
        proxy.resume();
        const changes: Change[] = [];
        const subscription = subscribe(subscriptionUrl(proxy.url('http'), SUBSCRIPTION), {
          params: { category: inside },
          getToken: () => issueToken({ subscription: SUBSCRIPTION, params: { category: inside }, key: KEY }),
          backoff: { initialMs: 20, maxMs: 200 },
          onChange: (c) => changes.push(c),
        });
        try {
          for (const s of steps) await apply(s, base, inside, outside);
          proxy.resume();
          let expected: Record<string, unknown>[] = [];
          const copy = () => [...subscription.rows().values()].sort((a, b) => (a.id as number) - (b.id as number));
          await waitFor(
            'the copy to equal the SELECT',
            async () => {
              expected = await p.expected(inside);
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
