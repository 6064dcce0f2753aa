/**
 * Distributary on PGSync's streaming measure (pgsync.ts), for a like-for-like row: N products
 * bootstrapped (initial snapshot, settled), then with connector and worker running, N more products
 * inserted in transactions of M and one category renamed; changes/s = (N + the renamed category's
 * products) / seconds from the first insert until every document is present and shows the new name
 * (the same completion check as PGSync's).
 */
import { Client } from '@elastic/elasticsearch';
import { uniqueName, waitFor } from '@distributary/testkit';
import { partitionEnds, sinkAtEnds } from '../../harness/sink-progress';
import type { BenchContext } from '../context';
import { CATEGORY_COUNT, fillProducts, joinedEsSink, productRowsSql } from '../joined-table';

export interface StreamingFigure {
  changes: number;
  seconds: number;
}

async function count(es: Client, index: string, query?: object): Promise<number> {
  await es.indices.refresh({ index });
  return (await es.count({ index, ...(query ? { query } : {}) })).count;
}

export async function oursStreaming(ctx: BenchContext): Promise<StreamingFigure> {
  const { transactions, rowsPerTransaction, partitions } = ctx.preset;
  const products = transactions * rowsPerTransaction;
  const index = uniqueName('bench-peer-ours').replace(/_/g, '-');
  const { db, pipeline } = await ctx.newPipeline('bench_peer_ours', {
    snapshot: 'initial',
    sinks: [joinedEsSink('peer', index)],
    esIndex: index,
    joined: true,
  });
  await fillProducts(db.url, transactions, rowsPerTransaction);
  const es = new Client({ node: ctx.esUrl });
  const connector = pipeline.start('connector');
  const worker = pipeline.start('worker');
  const alive = (): void => {
    connector.assertAlive();
    worker.assertAlive();
  };
  try {
    await pipeline.waitForLog(await pipeline.sourceLsn(), 1_800_000);
    const ends = await partitionEnds(pipeline.redis, pipeline.keys, partitions);
    await waitFor(
      'the bootstrap to settle',
      async () => {
        alive();
        return sinkAtEnds(pipeline.redis, pipeline.keys, 'peer', partitions, ends);
      },
      { timeoutMs: 1_800_000, intervalMs: 50 },
    );
    const renamed = (2 * products) / CATEGORY_COUNT;
    const started = performance.now();
    for (let t = 0; t < transactions; t++) {
      const from = products + 1 + t * rowsPerTransaction;
      await db.sql(`INSERT INTO public.products ${productRowsSql(from, from + rowsPerTransaction - 1)}`);
    }
    await db.sql(`UPDATE public.categories SET name = 'renamed' WHERE id = 1`);
    await waitFor(
      'every insert and the rename in the index',
      async () => {
        alive();
        return (
          (await count(es, index)) === 2 * products &&
          (await count(es, index, { match_phrase: { 'category.name': 'renamed' } })) === renamed
        );
      },
      { timeoutMs: 1_800_000, intervalMs: 250 },
    );
    return { changes: products + renamed, seconds: (performance.now() - started) / 1000 };
  } finally {
    await pipeline.stopAll();
    await es.close();
  }
}
