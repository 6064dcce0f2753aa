import { waitFor } from '@distributary/testkit';
import { sinkStarted } from '../../harness/sink-progress';
import { waitSinkAtEnds } from '../sink-settle';
import type { BenchResult, Figure } from '../bench-types';
import type { BenchContext, FilledLog } from '../context';
import { PRODUCTS } from '../joined-table';
import { perSecond, round, seconds } from '../stopwatch';

/** Runs one worker with `sink` over the pre-filled log until settled; seconds from first position. */
async function drain(log: FilledLog, sink: Record<string, unknown>): Promise<number> {
  const { pipeline } = log;
  const name = String(sink.name);
  const partitions = pipeline.spec.partitions;
  const worker = pipeline.start('worker', { configFile: pipeline.variant(name, [sink]) });
  try {
    await waitFor(
      `${name} to commit its first position`,
      async () => {
        worker.assertAlive();
        return sinkStarted(pipeline.redis, pipeline.keys, name, partitions);
      },
      { timeoutMs: 120_000, intervalMs: 5 },
    );
    const firstAt = Date.now();
    await waitSinkAtEnds(pipeline, name, partitions, [worker], {
      what: `${name} to drain the log`,
      timeoutMs: 1_800_000,
      intervalMs: 10,
      ends: log.ends,
    });
    return seconds(firstAt);
  } finally {
    await worker.stop();
  }
}

/**
 * 9. The other sinks over the same joined log as figure 3 (one worker each): a Redis cache (one key
 * per product plus a per-category set) and a Postgres view (products per category), in events/s,
 * to set beside Elasticsearch's.
 */
export async function otherSinks(ctx: BenchContext): Promise<BenchResult> {
  const log = await ctx.filledJoinedLog();
  const prefix = log.pipeline.spec.name; // the pipeline's clean-up deletes every cache key holding it
  const suffix = prefix.replace(/-/g, '_');
  const cache = {
    name: 'bench-cache',
    redis: { url: ctx.redisUrl },
    namespace: `bc:${prefix}:cache`,
    from: PRODUCTS,
    key: `bc:${prefix}:product:{id}`,
    queries: [{ key: `bc:${prefix}:category:{category_id}:products` }],
  };
  const view = {
    name: 'bench-view',
    view: { postgres: log.db.url, table: `public.bench_view_${suffix}` },
    sql: 'SELECT category_id, count(*) AS products FROM public.products GROUP BY category_id',
  };
  const figures: Figure[] = [];
  const errors: string[] = [];
  for (const [label, sink] of [
    ['Redis cache', cache],
    ['Postgres view', view],
  ] as const) {
    try {
      const elapsed = await drain(log, sink);
      figures.push({ label: `${label} events/s`, value: perSecond(log.events, elapsed), unit: 'events/s' });
      figures.push({ label: `${label} drain time (settled)`, value: round(elapsed), unit: 's' });
    } catch (error) {
      errors.push(`${label}: ${error instanceof Error ? error.message.slice(0, 500) : String(error)}`);
    }
  }
  return {
    id: 9,
    name: 'Log → Redis cache / Postgres view (1 worker each)',
    figures,
    setup: { events: log.events, partitions: ctx.preset.partitions, workers: 1 },
    notes: ['the same pre-filled joined log as figure 3; timed from the first committed position until settled'],
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}
