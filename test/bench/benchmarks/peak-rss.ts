import { uniqueName, waitFor } from '@distributary/testkit';
import { sinkProgress } from '@distributary/verify';
import type { BenchResult } from '../bench-types';
import { benchConnectorEntry } from '../capture/connector-entry';
import { esSink, type BenchContext } from '../context';
import { docsRowsSql, ROW_BYTES } from '../source-table';
import { round, seconds } from '../stopwatch';

const MiB = 2 ** 20;

/** 6. Peak RSS (VmHWM) of the connector and worker processes while one huge transaction flows through. */
export async function peakRss(ctx: BenchContext): Promise<BenchResult> {
  const rows = ctx.preset.bigTransactionRows;
  const index = uniqueName('bench-rss').replace(/_/g, '-');
  const { db, pipeline } = await ctx.newPipeline('bench_rss', { sinks: [esSink('rss', index)], esIndex: index });
  const entry = benchConnectorEntry();
  const connector = pipeline.start('connector', { entryArgs: entry.entryArgs });
  await pipeline.waitForSlot(connector);
  const worker = pipeline.start('worker');
  try {
    await db.sql(`INSERT INTO public.docs ${docsRowsSql(0, 0)}`);
    await pipeline.waitForSinks(await pipeline.sourceLsn(), ['rss'], 120_000);
    const idle = { connector: connector.peakRss() ?? 0, worker: worker.peakRss() ?? 0 };
    const startedAt = Date.now();
    await db.sql(`INSERT INTO public.docs ${docsRowsSql(1, rows)}`);
    const target = await pipeline.sourceLsn();
    const peak = { ...idle };
    const sample = (): void => {
      peak.connector = Math.max(peak.connector, connector.peakRss() ?? 0);
      peak.worker = Math.max(peak.worker, worker.peakRss() ?? 0);
    };
    await waitFor(
      'the big transaction in Elasticsearch',
      async () => {
        sample();
        connector.assertAlive();
        worker.assertAlive();
        return (await sinkProgress(pipeline.redis, pipeline.keys, 'rss', ctx.preset.partitions, target)).applied;
      },
      { timeoutMs: 3_600_000, intervalMs: 250 },
    );
    sample();
    const elapsed = seconds(startedAt);
    return {
      id: 6,
      name: `Peak RSS during a ${rows.toLocaleString('en-US')}-row transaction`,
      figures: [
        { label: 'connector peak RSS', value: round(peak.connector / MiB, 1), unit: 'MiB' },
        { label: 'worker peak RSS', value: round(peak.worker / MiB, 1), unit: 'MiB' },
        { label: 'connector idle peak', value: round(idle.connector / MiB, 1), unit: 'MiB' },
        { label: 'worker idle peak', value: round(idle.worker / MiB, 1), unit: 'MiB' },
        { label: 'transaction end to end', value: round(elapsed), unit: 's' },
      ],
      setup: {
        rows,
        rowBytes: ROW_BYTES,
        partitions: ctx.preset.partitions,
        workers: 1,
        batchSize: 1000,
        connector: entry.describe,
      },
      notes: [
        'VmHWM from /proc/<pid>/status of the child processes, sampled every 250 ms',
        `connector: ${entry.describe} (BENCH_CONNECTOR=tsx: the sources under tsx); worker: the sources under tsx`,
      ],
    };
  } finally {
    await pipeline.stopAll();
  }
}
