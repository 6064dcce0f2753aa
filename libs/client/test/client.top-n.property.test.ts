/**
 * Property (top-N): the real client of `top-items-by-category` (`order: price desc`, `limit: 3`,
 * ties by id, NULL first) under random writes — prices from a small range with NULLs (ties), moves
 * across the filter, deletes, two-row transactions — and random connection cuts through a real TCP
 * proxy, starting from eight rows inside the filter. Every write is one source transaction, so the source's top-N states form a sequence
 * S0, S1, …: the copy at each of its ids (every `ready` and every transaction) must be one of them,
 * in order (never a state the source never had, never going back), and once connected again the
 * copy equals `SELECT … WHERE category_id = :c ORDER BY price DESC, id LIMIT 3`.
 *
 * The gateway's windows hold N + 1 rows (K = 1, GatewayOptions.topNSpare) and deletes and moves out
 * are weighted up, so windows run starved and are refilled (re-read at a snapshot joined with the
 * log, the difference sent as one transaction) often: the test checks that refills happened.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@distributary/testkit';
import { topNStats } from '../../gateway/src';
import { KEY, startGatewayPipeline, TOP_SUBSCRIPTION } from '../../gateway/test/gateway-pipeline';
import { applyStep, proxiedGateway, type Step } from './proxied-steps';
import { subscribe, subscriptionUrl, type Row } from '../src';
import { issueToken } from '../src/server';

const fixture = proxiedGateway(() => startGatewayPipeline({}, 1));

const id = fc.integer({ min: 0, max: 7 });
const price = fc.option(fc.integer({ min: 0, max: 6 }), { freq: 6 });
const step: fc.Arbitrary<Step<number | null>> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('upsert' as const), id, inside: fc.boolean(), price }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('price' as const), id, price }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('move' as const), id, inside: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), id }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('tx' as const), a: id, b: id, inside: fc.boolean() }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'cut' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'reconnect' as const }), weight: 1 },
);

let run = 0;

/** Runs one step; true when it wrote (one source transaction). */
/** Runs one step; true when it wrote (one source transaction). */
const apply = (s: Step<number | null>, base: number, inside: number, outside: number): Promise<boolean> =>
  applyStep(s, { db: fixture.p.db, proxy: fixture.proxy, base, inside, outside, txPrice: 3 });

const text = (rows: Iterable<Row>) => JSON.stringify([...rows].sort((a, b) => (a.id as number) - (b.id as number)));

describe('client property: top-N under random writes and cuts', () => {
  it('the copy at every id is a source top-N state, in order; finally the SELECT … ORDER BY … LIMIT', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(price, { minLength: 8, maxLength: 8 }),
        fc.array(step, { minLength: 1, maxLength: 20 }),
        async (prices, steps) => {
          run++;
          const base = run * 100;
          const inside = 1000 + run;
          const outside = 2000 + run;
          fixture.proxy.resume();
          // Eight rows inside (more than the window) so that entering, pushing out and backfill happen.
          for (const [i, value] of prices.entries())
            await fixture.p.db.sql(`INSERT INTO items VALUES ($1, $2, 'p', $3, NULL)`, [base + i, inside, value]);
          const states = [text(await fixture.p.expectedTop(inside))];
          const seen: string[] = [];
          const record = (rows: ReadonlyMap<string, Row>) => seen.push(text(rows.values()));
          const subscription = subscribe(subscriptionUrl(fixture.proxy.url('http'), TOP_SUBSCRIPTION), {
            params: { category: inside },
            getToken: () => issueToken({ subscription: TOP_SUBSCRIPTION, params: { category: inside }, key: KEY }),
            backoff: { initialMs: 20, maxMs: 200 },
            onReady: record,
            onTransaction: (_changes, rows) => record(rows),
          });
          try {
            for (const s of steps)
              if (await apply(s, base, inside, outside)) states.push(text(await fixture.p.expectedTop(inside)));
            fixture.proxy.resume();
            let expected = '';
            await waitFor(
              'the copy to equal the top-N SELECT',
              async () => {
                expected = text(await fixture.p.expectedTop(inside));
                return subscription.status === 'live' && text(subscription.rows().values()) === expected;
              },
              { timeoutMs: 60_000, intervalMs: 50 },
            ).catch(() => undefined);
            expect(text(subscription.rows().values())).toBe(expected);
            // Every state the client showed at an id is a source state, never going back.
            let at = 0;
            for (const state of seen) {
              const found = states.indexOf(state, at);
              expect(
                found,
                `client state ${state} not in source states from #${at}: ${states.join(' | ')}`,
              ).toBeGreaterThanOrEqual(0);
              at = found;
            }
          } finally {
            subscription.close();
          }
        },
      ),
      { numRuns: 40 },
    );
    // Windows of N + 1 rows under these deletes and moves were starved and re-read (about one run
    // in three refills at least once).
    expect(topNStats.refills).toBeGreaterThan(2);
  });
});
