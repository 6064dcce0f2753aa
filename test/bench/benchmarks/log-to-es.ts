import type { BenchResult } from '../bench-types';
import type { BenchContext } from '../context';
import { bulkFigures, CATEGORY_COUNT, joinedEsSink, joinedSinkBulk } from '../joined-table';
import { ROW_BYTES } from '../source-table';
import { perSecond, round } from '../stopwatch';
import { measureEsDrain } from './sink-drain';
import { serverFigures } from '../service-cpu';

/**
 * 3. Log → Elasticsearch: one worker, one ES sink of products joined with their category, over the
 * pre-filled log (N × M product inserts, then one category renamed: a fan-out to its products).
 * Done = settled: every partition's committed position at the log's end.
 */
export async function logToEs(ctx: BenchContext): Promise<BenchResult> {
  const log = await ctx.filledJoinedLog();
  const m = await measureEsDrain(log, ctx.esUrl, 'bench-es', 1, { sink: joinedEsSink });
  const result: BenchResult = {
    id: 3,
    name: 'Log → Elasticsearch, joined documents (1 worker)',
    figures: [
      { label: 'docs/s', value: perSecond(log.documents, m.seconds), unit: 'docs/s' },
      { label: 'events/s', value: perSecond(m.events, m.seconds), unit: 'events/s' },
      { label: 'docs/s incl. process start', value: perSecond(log.documents, m.secondsWithStartup), unit: 'docs/s' },
      { label: 'drain time (settled)', value: round(m.seconds), unit: 's' },
      { label: 'writes per document', value: m.writesPerDoc, unit: '×' },
      { label: 'worker CPU per document', value: Math.round(m.workerCpuMicros / log.documents), unit: 'µs/doc' },
      ...serverFigures(m.serverCpuPerDoc),
      ...bulkFigures(m.bulk, log.documents),
    ],
    setup: {
      documents: log.documents,
      events: m.events,
      rowBytes: ROW_BYTES,
      join: `products → categories (${CATEGORY_COUNT})`,
      partitions: ctx.preset.partitions,
      workers: 1,
      ...joinedSinkBulk(),
    },
    notes: [
      "timed from the sink's first committed position until every position is at the log's end",
      'the last event renames one category: its products are re-indexed (writes per document > 1 by that share)',
    ],
  };
  if (m.indexedDocs !== log.documents)
    result.error = `index holds ${m.indexedDocs} documents for ${log.documents} rows`;
  return result;
}
