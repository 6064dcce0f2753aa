import { uniqueName, withClient } from '@distributary/testkit';
import { deleteIndices } from '../../harness/pipeline';
import type { BenchResult } from '../bench-types';
import type { BenchContext } from '../context';
import { bulkFigures, indexingOps, joinedDocsSql } from '../joined-table';
import { ROW_BYTES } from '../source-table';
import { perSecond, round, seconds } from '../stopwatch';
import { perDocument, serverFigures, serviceCpu } from '../service-cpu';

const BATCH = 1000;
const CONCURRENCY = 2;

/**
 * 2. The reference: the same joined documents (product + category name) loaded with a plain `_bulk`
 * loader (batches of 1,000, two in flight — the ES sink's defaults), no change log, no versions,
 * same index settings (1 shard, 0 replicas). Documents are read and serialized before timing.
 */
export async function esBulkCeiling(ctx: BenchContext): Promise<BenchResult> {
  const rows = ctx.preset.transactions * ctx.preset.rowsPerTransaction;
  const docs = await withClient(
    ctx.pgUrl,
    async (client) => (await client.query<{ id: number; doc: string }>(joinedDocsSql(1, rows))).rows,
  );
  const index = uniqueName('bench-raw').replace(/_/g, '-');
  ctx.onCleanup(() => deleteIndices(ctx.esUrl, index));
  const target = `${index}_v1`;
  await fetch(`${ctx.esUrl}/${target}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' } }),
  });
  const bodies: string[] = [];
  for (let i = 0; i < docs.length; i += BATCH) {
    bodies.push(
      docs
        .slice(i, i + BATCH)
        .map((d) => `{"index":{"_index":"${target}","_id":"${d.id}"}}\n${d.doc}\n`)
        .join(''),
    );
  }
  const redisPort = new URL(ctx.redisUrl).port;
  const serversFirst = serviceCpu(redisPort);
  const startedAt = Date.now();
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let b = next++; b < bodies.length; b = next++) {
        const response = await fetch(`${ctx.esUrl}/_bulk`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: bodies[b],
        });
        const result = (await response.json()) as { errors: boolean; items: { index?: { error?: unknown } }[] };
        if (result.errors) errors += result.items.filter((item) => item.index?.error).length;
      }
    }),
  );
  const elapsed = seconds(startedAt);
  const serverCpuPerDoc = perDocument(serversFirst, serviceCpu(redisPort), docs.length);
  const ops = await indexingOps(ctx.esUrl, target);
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
    name: 'Raw Elasticsearch _bulk ceiling (plain loader, same joined documents: the reference)',
    figures: [
      { label: 'docs/s', value: perSecond(docs.length, elapsed), unit: 'docs/s' },
      { label: 'load time', value: round(elapsed), unit: 's' },
      ...serverFigures({ elasticsearch: serverCpuPerDoc.elasticsearch }),
      ...bulkFigures(ops, docs.length),
    ],
    setup: { docs: docs.length, rowBytes: ROW_BYTES, batch: BATCH, concurrency: CONCURRENCY, shards: 1, replicas: 0 },
    notes: [],
  };
}
