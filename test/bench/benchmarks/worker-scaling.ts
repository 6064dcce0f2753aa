import type { BenchResult } from '../bench-types';
import type { BenchContext } from '../context';
import { perSecond, round } from '../stopwatch';
import { measureEsDrain } from './sink-drain';

/** 7. Log → Elasticsearch with 1, 2 and 4 workers sharing the partitions of one sink. */
export async function workerScaling(ctx: BenchContext): Promise<BenchResult> {
  const log = await ctx.filledLog();
  const figures = [];
  const errors: string[] = [];
  for (const workers of ctx.preset.workerCounts) {
    const m = await measureEsDrain(log, ctx.esUrl, `bench-w${workers}`, workers);
    figures.push({ label: `${workers} worker(s)`, value: perSecond(m.events, m.seconds), unit: 'docs/s' });
    figures.push({ label: `${workers} worker(s) drain time`, value: round(m.seconds), unit: 's' });
    if (m.indexedDocs !== m.events)
      errors.push(`${workers} workers: ${m.indexedDocs} documents for ${m.events} events`);
  }
  return {
    id: 7,
    name: `Log → Elasticsearch by worker count (${ctx.preset.partitions} partitions)`,
    figures,
    setup: { events: log.events, partitions: ctx.preset.partitions, workers: ctx.preset.workerCounts.join('/') },
    notes: ['all workers start together; partitions are spread by the worker membership/lease protocol'],
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}
