import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkBatch } from '@distributary/core';
import { type TestDatabase, createTestDatabase } from '@distributary/testkit';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { queryRows, viewConfig, viewRows } from './helpers';
import { buildWorkload, deliveries, transactionSizes, workloadOp } from './workload';

/**
 * Property: any workload of inserts, updates and deletes on facts and lookup rows (group moves,
 * extremes deleted, lookup rows arriving late or deleted), delivered over 3 partitions in random
 * batches with random redelivery, leaves each view equal to the same SELECT run on a real source
 * table that went through the same workload.
 */
const JOIN_VIEW = `SELECT p.category_id AS category, o.status, count(*) AS n, count(o.qty) AS nq, sum(o.amount) AS revenue,
         avg(o.amount) AS mean, min(o.amount) AS lo, max(o.qty) AS hi, max(p.price) AS top
  FROM public.orders o JOIN public.products p ON o.product_id = p.id
  WHERE o.qty IS NOT NULL AND o.status IN ('paid', 'shipped') GROUP BY p.category_id, o.status`;
const SINGLE_VIEW = `SELECT status, count(*) AS n, sum(qty) AS units, avg(qty) AS mean_qty, min(amount) AS lo, max(amount) AS hi
  FROM public.orders WHERE amount > -100 GROUP BY status`;

let source: TestDatabase;
let target: TestDatabase;

beforeAll(async () => {
  source = await createTestDatabase('mvp_src');
  target = await createTestDatabase('mvp_tgt');
  await source.sql(`
    CREATE TABLE public.products (id int PRIMARY KEY, category_id int, price numeric(10,2));
    CREATE TABLE public.orders (id int PRIMARY KEY, product_id int, amount numeric(12,2), qty int, status text)`);
});

afterAll(async () => {
  await target?.drop();
  await source?.drop();
});

async function* asLog(batches: SinkBatch[]) {
  for (const batch of batches) yield batch.events;
}

describe('materialized view property', () => {
  it('any workload, batching and redelivery leaves the view equal to the SELECT on the source', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(workloadOp, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat({ max: 1000 }), { minLength: 20, maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
        async (ops, tape, sameTransaction) => {
          const workload = buildWorkload(ops, 1000, sameTransaction);
          const sizes = transactionSizes(workload.events);
          await source.sql(`TRUNCATE public.orders, public.products`);
          if (workload.sql.length) await source.sql(workload.sql.join(';\n'));
          const plan = deliveries(workload.events, 3, tape);

          const joinConfig = viewConfig(target, JOIN_VIEW);
          const singleConfig = viewConfig(target, SINGLE_VIEW);
          const rebuiltConfig = viewConfig(target, JOIN_VIEW);
          const transactionalConfig = viewConfig(target, JOIN_VIEW, undefined, true);
          const sinks = await Promise.all(
            [joinConfig, singleConfig, rebuiltConfig, transactionalConfig].map((config) =>
              createMaterializedViewSink(config, {
                sourceUrl: source.url,
                transactionSize: async (lsn) => sizes.get(lsn),
                // Purge tombstones after every batch: redelivery must still never resurrect a row.
                purgeEveryBatches: 1,
              }),
            ),
          );
          try {
            for (const sink of sinks) await sink.open();
            const [joinSink, singleSink, rebuiltSink, transactionalSink] = sinks;
            for (const batch of plan) {
              await joinSink.apply(batch);
              await singleSink.apply(batch);
              await transactionalSink.apply(batch);
            }
            // The rebuild path has no positions: every delivery, redeliveries included, is applied.
            await rebuiltSink.rebuild(asLog(plan));

            const expectedJoin = await queryRows(source, JOIN_VIEW);
            expect(await viewRows(target, joinConfig.view.table)).toEqual(expectedJoin);
            expect(await viewRows(target, rebuiltConfig.view.table)).toEqual(expectedJoin);
            expect(await viewRows(target, transactionalConfig.view.table)).toEqual(expectedJoin);
            expect(await transactionalSink.describe()).toMatchObject({ pendingEvents: 0 });
            expect(await viewRows(target, singleConfig.view.table)).toEqual(await queryRows(source, SINGLE_VIEW));
          } finally {
            for (const sink of sinks) await sink.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
