/**
 * Distributary on PGSync's streaming measure (pgsync.ts), for a like-for-like row: N products
 * bootstrapped (initial snapshot, settled), then with connector and worker running, N more products
 * inserted in transactions of M and one category renamed; changes/s = (N + the renamed category's
 * products) / seconds from the first insert until every document is present and shows the new name
 * (the same completion check as PGSync's).
 */
import { Client } from '@elastic/elasticsearch';
import { uniqueName, waitFor } from '@distributary/testkit';
import { waitSinkAtEnds } from '../sink-settle';
import type { BenchContext } from '../context';
import { fillProducts, joinedEsSink } from '../joined-table';
import { streamingApplied, writeStreamingChanges } from './streaming-measure';

export interface StreamingFigure {
  changes: number;
  seconds: number;
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
    await waitSinkAtEnds(pipeline, 'peer', partitions, [connector, worker], {
      what: 'the bootstrap to settle',
      timeoutMs: 1_800_000,
      intervalMs: 50,
    });
    const started = performance.now();
    const { changes, renamed } = await writeStreamingChanges(db, products, transactions, rowsPerTransaction);
    await waitFor(
      'every insert and the rename in the index',
      async () => {
        alive();
        return streamingApplied(es, index, products, renamed);
      },
      { timeoutMs: 1_800_000, intervalMs: 250 },
    );
    return { changes, seconds: (performance.now() - started) / 1000 };
  } finally {
    await pipeline.stopAll();
    await es.close();
  }
}
