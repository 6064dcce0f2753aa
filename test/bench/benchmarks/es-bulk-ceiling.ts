import { Client } from '@elastic/elasticsearch';
import { uniqueName } from '@distributary/testkit';
import { deleteIndices } from '../../harness/pipeline';
import type { BenchResult } from '../bench-types';
import type { BenchContext } from '../context';
import { docsRowsSql, ROW_BYTES, withSource } from '../source-table';
import { perSecond, round, seconds } from '../stopwatch';

const BATCH = 1000;
const CONCURRENCY = 2;

/**
 * 2. The reference: the same documents loaded with a plain `_bulk` loader (batches of 1,000, two in
 * flight — the ES sink's defaults), no change log, no versions. Documents are read before timing.
 */
export async function esBulkCeiling(ctx: BenchContext): Promise<BenchResult> {
  const rows = ctx.preset.transactions * ctx.preset.rowsPerTransaction;
  const docs = await withSource(ctx.pgUrl, async (client) => (await client.query(docsRowsSql(1, rows))).rows);
  const index = uniqueName('bench-raw').replace(/_/g, '-');
  ctx.onCleanup(() => deleteIndices(ctx.esUrl, index));
  const es = new Client({ node: ctx.esUrl });
  await es.indices.create({ index: `${index}_v1` });
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < docs.length; i += BATCH) batches.push(docs.slice(i, i + BATCH) as Record<string, unknown>[]);
  const startedAt = Date.now();
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let b = next++; b < batches.length; b = next++) {
        const operations = batches[b].flatMap((doc) => [
          { index: { _index: `${index}_v1`, _id: String(doc.id) } },
          doc,
        ]);
        const response = await es.bulk({ operations });
        if (response.errors) errors += response.items.filter((item) => item.index?.error).length;
      }
    }),
  );
  const elapsed = seconds(startedAt);
  await es.close();
  if (errors)
    return {
      id: 2,
      name: 'raw ES _bulk ceiling',
      figures: [],
      setup: {},
      notes: [],
      error: `${errors} bulk items failed`,
    };
  return {
    id: 2,
    name: 'Raw Elasticsearch _bulk ceiling (plain loader, the reference)',
    figures: [
      { label: 'docs/s', value: perSecond(docs.length, elapsed), unit: 'docs/s' },
      { label: 'load time', value: round(elapsed), unit: 's' },
    ],
    setup: { docs: docs.length, rowBytes: ROW_BYTES, batch: BATCH, concurrency: CONCURRENCY, shards: 1 },
    notes: [],
  };
}
