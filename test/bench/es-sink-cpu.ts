/**
 * `npx tsx test/bench/es-sink-cpu.ts [docs] [rounds]`: the Elasticsearch sink's own CPU per document
 * (this process's user + system time, so a loaded machine inflates it less than wall-clock rates),
 * for the joined workload of figures 3 and 4: product insert events in batches of 500 applied to one
 * sink (joined with the categories, lookups through the shared cache), written to a real index.
 * Log reading is not part of it (that is the worker's, figure 3). Prints the median of the rounds.
 */
import { elasticsearchSinkSchema } from '@distributary/config';
import type { ChangeEvent, Row } from '@distributary/core';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, uniqueName } from '@distributary/testkit';
import { CATEGORY_COUNT, createJoinedSql, joinedEsSink, PRODUCTS } from './joined-table';

const BATCH = 500;
const PARTITIONS = 8;

function productEvent(id: number, lsn: bigint): ChangeEvent {
  const category = 1 + (id % CATEGORY_COUNT);
  const after: Row = {
    id,
    category_id: category,
    title: `title ${id}`,
    body: `${id}`.padEnd(240, 'abcdef0123456789'),
  };
  return { pos: { lsn, seq: 0 }, op: 'c', table: PRODUCTS, key: { id }, after, commitTs: new Date().toISOString() };
}

async function round(sourceUrl: string, docs: number): Promise<number> {
  const index = uniqueName('cpu-probe').replace(/_/g, '-');
  const config = elasticsearchSinkSchema.parse(joinedEsSink('cpu-probe', index));
  const sink = createElasticsearchSink(config, { source: new PgSourceRows(sourceUrl) });
  await sink.open();
  try {
    // the same events in the same batches, prepared before timing
    const batches: ChangeEvent[][] = [];
    let lsn = 1_000_000n;
    for (let from = 1; from <= docs; from += BATCH) {
      const batch: ChangeEvent[] = [];
      for (let id = from; id < from + BATCH && id <= docs; id++) batch.push(productEvent(id, (lsn += 10n)));
      batches.push(batch);
    }
    const started = process.cpuUsage();
    // as a worker does: a batch per partition in flight at once
    let next = 0;
    await Promise.all(
      Array.from({ length: PARTITIONS }, async (_, partition) => {
        for (let b = next++; b < batches.length; b = next++) {
          const events = batches[b];
          const last = events[events.length - 1];
          await sink.apply({ sink: 'cpu-probe', partition, events, lastId: `${last.pos.lsn}-0`, fencingToken: 1 });
        }
      }),
    );
    const used = process.cpuUsage(started);
    return (used.user + used.system) / docs;
  } finally {
    await sink.close();
    await fetch(`${esUrl()}/${index}_v*`, { method: 'DELETE' }).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const docs = Number(process.argv[2] ?? 50_000);
  const rounds = Number(process.argv[3] ?? 3);
  const db = await createTestDatabase('es_cpu_probe');
  try {
    await db.sql(createJoinedSql);
    const results: number[] = [];
    for (let r = 0; r < rounds; r++) results.push(await round(db.url, docs));
    const sorted = [...results].sort((a, b) => a - b);
    process.stdout.write(
      `sink CPU µs/doc: median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)}, min ${sorted[0].toFixed(1)} (${results.map((x) => x.toFixed(1)).join(', ')})\n`,
    );
  } finally {
    await db.drop();
  }
}

void main();
