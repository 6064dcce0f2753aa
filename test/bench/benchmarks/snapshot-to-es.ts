import { uniqueName, waitFor } from '@distributary/testkit';
import { sinkProgress } from '@distributary/verify';
import { keyText, scanLog } from '../../harness/log-scan';
import { logEntries } from '../../harness/sink-progress';
import type { BenchResult } from '../bench-types';
import { esSink, type BenchContext } from '../context';
import { fillDocs, ROW_BYTES } from '../source-table';
import { perSecond, round, seconds } from '../stopwatch';

/**
 * 4. Initial snapshot → Elasticsearch: rows already in the table when the pipeline first starts
 * (source.postgres.snapshot: initial), timed from starting connector and worker together until the
 * ES sink applied every row.
 */
export async function snapshotToEs(ctx: BenchContext): Promise<BenchResult> {
  const index = uniqueName('bench-snap').replace(/_/g, '-');
  const { db, pipeline } = await ctx.newPipeline('bench_snap', {
    snapshot: 'initial',
    sinks: [esSink('snap', index)],
    esIndex: index,
  });
  const rows = await fillDocs(db.url, ctx.preset.transactions, ctx.preset.rowsPerTransaction);
  const setup = { rows, rowBytes: ROW_BYTES, partitions: ctx.preset.partitions, workers: 1 };
  const name = 'Initial snapshot → Elasticsearch';
  const startedAt = Date.now();
  const connector = pipeline.start('connector');
  const worker = pipeline.start('worker');
  const target = await pipeline.sourceLsn();
  await pipeline.waitForLog(target, 1_800_000);
  const logged = await logEntries(pipeline.redis, pipeline.keys, ctx.preset.partitions);
  if (logged < rows) {
    await pipeline.stopAll();
    return {
      id: 4,
      name,
      figures: [],
      setup,
      notes: [],
      error:
        `the log holds ${logged} events after the connector confirmed the slot, for ${rows} pre-existing rows: ` +
        'the initial snapshot did not run (apps/connector does not pass ConnectorOptions.initialSnapshot yet)',
    };
  }
  await waitFor(
    'the snapshot in Elasticsearch',
    async () => {
      connector.assertAlive();
      worker.assertAlive();
      return (await sinkProgress(pipeline.redis, pipeline.keys, 'snap', ctx.preset.partitions, target)).applied;
    },
    { timeoutMs: 1_800_000, intervalMs: 20 },
  );
  const appliedAt = seconds(startedAt);
  const countDocs = async (): Promise<number> => {
    await fetch(`${ctx.esUrl}/${index}/_refresh`, { method: 'POST' });
    return ((await (await fetch(`${ctx.esUrl}/${index}/_count`)).json()) as { count: number }).count;
  };
  // the sink's positions say "applied"; time until every document is also readable
  const countAtApplied = await countDocs();
  let count = countAtApplied;
  await waitFor('every snapshot row in the index', async () => (count = await countDocs()) === rows, {
    timeoutMs: 60_000,
    intervalMs: 100,
  }).catch(() => undefined);
  const elapsed = seconds(startedAt);
  await pipeline.stopAll();
  let diagnosis = '';
  if (count !== rows) {
    const logged = new Set<string>();
    await scanLog(pipeline.redis, pipeline.keys, ctx.preset.partitions, (event) => logged.add(keyText(event)));
    diagnosis = `; the log holds ${logged.size} distinct keys`;
  }
  return {
    id: 4,
    name,
    figures: [
      { label: 'rows/s incl. process start', value: perSecond(rows, elapsed), unit: 'rows/s' },
      { label: 'total time (all readable)', value: round(elapsed), unit: 's' },
      { label: 'sink positions at the end', value: round(appliedAt), unit: 's' },
      { label: 'docs readable at that moment', value: countAtApplied, unit: 'docs' },
    ],
    setup,
    notes: [
      'timed from starting connector + worker (both cold) until every row is readable in the index',
      ...(countAtApplied !== rows
        ? [`the sink's committed positions passed every row while only ${countAtApplied} documents were readable`]
        : []),
    ],
    ...(count !== rows ? { error: `index holds ${count} documents for ${rows} rows after 60 s${diagnosis}` } : {}),
  };
}
