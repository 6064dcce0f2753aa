import type { BenchResult } from '../bench-types';
import type { BenchContext } from '../context';
import { ROW_BYTES } from '../source-table';
import { perSecond, round } from '../stopwatch';
import { measureEsDrain } from './sink-drain';

/** 3. Log → Elasticsearch: one worker, one ES sink, over the pre-filled log. */
export async function logToEs(ctx: BenchContext): Promise<BenchResult> {
  const log = await ctx.filledLog();
  const m = await measureEsDrain(log, ctx.esUrl, 'bench-es', 1);
  const result: BenchResult = {
    id: 3,
    name: 'Log → Elasticsearch (1 worker)',
    figures: [
      { label: 'docs/s', value: perSecond(m.events, m.seconds), unit: 'docs/s' },
      { label: 'docs/s incl. process start', value: perSecond(m.events, m.secondsWithStartup), unit: 'docs/s' },
      { label: 'drain time', value: round(m.seconds), unit: 's' },
    ],
    setup: {
      events: m.events,
      rowBytes: ROW_BYTES,
      partitions: ctx.preset.partitions,
      workers: 1,
      bulkDocs: 1000,
      bulkConcurrency: 2,
    },
    notes: ["timed from the sink's first committed position to its last"],
  };
  if (m.indexedDocs !== m.events) result.error = `index holds ${m.indexedDocs} documents for ${m.events} events`;
  return result;
}
