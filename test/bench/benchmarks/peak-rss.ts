import { uniqueName, waitFor } from '@distributary/testkit';
import { sinkProgress } from '@distributary/verify';
import type { BenchResult } from '../bench-types';
import { benchConnectorEntry } from '../capture/connector-entry';
import { median } from '../capture/proc-stats';
import { esSink, type BenchContext } from '../context';
import { docsRowsSql, ROW_BYTES } from '../source-table';
import { round, seconds } from '../stopwatch';
import { captureRepeat } from './wal-to-log';

const MiB = 2 ** 20;

interface RssRun {
  connector: number;
  worker: number;
  idleConnector: number;
  idleWorker: number;
  seconds: number;
}

/**
 * 6. Peak RSS (VmHWM) of the connector and worker processes while one huge transaction flows through.
 * With --repeat N (as figure 1) each figure is the median of N runs, each on a fresh pipeline.
 */
export async function peakRss(ctx: BenchContext): Promise<BenchResult> {
  const rows = ctx.preset.bigTransactionRows;
  const entry = benchConnectorEntry();
  const repeat = captureRepeat();
  const runs: RssRun[] = [];
  for (let i = 0; i < repeat; i++) {
    if (repeat > 1) process.stderr.write(`bench 6: run ${i + 1}/${repeat}…\n`);
    runs.push(await rssRun(ctx, rows, entry.entryArgs));
  }
  const mid = (pick: (run: RssRun) => number): number => median(runs.map(pick));
  const mib = (pick: (run: RssRun) => number): number => round(mid(pick) / MiB, 1);
  return {
    id: 6,
    name: `Peak RSS during a ${rows.toLocaleString('en-US')}-row transaction`,
    figures: [
      { label: 'connector peak RSS', value: mib((r) => r.connector), unit: 'MiB' },
      { label: 'worker peak RSS', value: mib((r) => r.worker), unit: 'MiB' },
      { label: 'connector idle peak', value: mib((r) => r.idleConnector), unit: 'MiB' },
      { label: 'worker idle peak', value: mib((r) => r.idleWorker), unit: 'MiB' },
      { label: 'transaction end to end', value: round(mid((r) => r.seconds)), unit: 's' },
    ],
    setup: {
      rows,
      rowBytes: ROW_BYTES,
      partitions: ctx.preset.partitions,
      workers: 1,
      batchSize: 1000,
      connector: entry.describe,
      runs: repeat,
    },
    notes: [
      'VmHWM from /proc/<pid>/status of the child processes, sampled every 250 ms',
      `connector: ${entry.describe} (BENCH_CONNECTOR=tsx: the sources under tsx); worker: the sources under tsx`,
      `median of ${repeat} run(s); connector peak per run: ${runs.map((r) => round(r.connector / MiB, 1)).join(', ')} MiB`,
    ],
  };
}

async function rssRun(ctx: BenchContext, rows: number, entryArgs: string[] | undefined): Promise<RssRun> {
  const index = uniqueName('bench-rss').replace(/_/g, '-');
  const { db, pipeline } = await ctx.newPipeline('bench_rss', { sinks: [esSink('rss', index)], esIndex: index });
  const connector = pipeline.start('connector', { entryArgs });
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
    return {
      connector: peak.connector,
      worker: peak.worker,
      idleConnector: idle.connector,
      idleWorker: idle.worker,
      seconds: seconds(startedAt),
    };
  } finally {
    await pipeline.stopAll();
  }
}
