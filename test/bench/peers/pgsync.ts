/**
 * `npm run bench -- --peers`: PGSync (from PyPI) on the joined workload of figures 3 and 4 — N products
 * joined with their category (the document has `category.name`), index of 1 shard, 0 replicas:
 * - bootstrap: the initial sync of N existing products (`pgsync` once), docs/s from its process start
 *   until it exits with every document present (PGSync's own timer printed beside);
 * - streaming: with `pgsync --daemon` running, N more products inserted in transactions of M, then one
 *   category renamed; changes/s = (N inserts + the renamed category's products) / seconds from the
 *   first insert until every document is present and every renamed one shows the new name.
 * Printed beside Distributary's (3) and (4) of the same run, and Distributary on the same streaming
 * measure (ours-streaming.ts).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { createTestDatabase, waitFor } from '@distributary/testkit';
import type { BenchResult, Figure } from '../bench-types';
import type { BenchContext } from '../context';
import { CATEGORY_COUNT, createJoinedSql, productRowsSql } from '../joined-table';
import { hasRestRoot, startRootProxy } from './es-root-proxy';
import { oursStreaming } from './ours-streaming';
import { count, streamingApplied, writeStreamingChanges } from './streaming-measure';
import { installPgsync, PGSYNC_VERSION, pgsyncEnv, runPgsync, startDaemon, stopDaemon } from './pgsync-process';

/** PGSync's schema for the joined documents: products with their category as an object. */
function schemaOf(database: string, index: string): unknown[] {
  return [
    {
      database,
      index,
      setting: { number_of_shards: 1, number_of_replicas: 0 },
      nodes: {
        table: 'products',
        schema: 'public',
        columns: ['id', 'category_id', 'title', 'body'],
        children: [
          {
            table: 'categories',
            schema: 'public',
            label: 'category',
            columns: ['name'],
            relationship: {
              variant: 'object',
              type: 'one_to_one',
              foreign_key: { child: ['id'], parent: ['category_id'] },
            },
          },
        ],
      },
    },
  ];
}

const rate = (n: number, seconds: number): number => Math.round(n / seconds);

export async function pgsyncPeer(ctx: BenchContext, ours: BenchResult[]): Promise<BenchResult> {
  const { transactions, rowsPerTransaction } = ctx.preset;
  const products = transactions * rowsPerTransaction;
  const notes: string[] = [];
  const figures: Figure[] = [];
  const bin = await installPgsync();
  let esUrl = ctx.esUrl;
  if (!(await hasRestRoot(esUrl))) {
    const proxy = await startRootProxy(esUrl);
    ctx.onCleanup(() => proxy.close());
    esUrl = proxy.url;
    notes.push(`Elasticsearch does not answer GET /: PGSync talks to it through a local proxy that does (${esUrl})`);
  } else notes.push('Elasticsearch answers GET / (the local stack installs scripts/es-root): no proxy needed');
  const es = new Client({ node: ctx.esUrl });
  const db = await createTestDatabase('peer_pgsync');
  const index = db.name;
  const dir = resolve(__dirname, '../../../.local/peers', index);
  mkdirSync(dir, { recursive: true });
  const schema = join(dir, 'schema.json');
  writeFileSync(schema, JSON.stringify(schemaOf(db.name, index), null, 2));
  const env = pgsyncEnv({ pgUrl: db.url, redisUrl: ctx.redisUrl, esUrl, dir });
  const running: { daemon?: ReturnType<typeof startDaemon> } = {};
  ctx.onCleanup(async () => {
    if (running.daemon) await stopDaemon(running.daemon.child);
    await runPgsync(bin, 'bootstrap', ['--config', schema, '--teardown'], env).catch(() => undefined);
    await db.drop();
    await es.indices.delete({ index }, { ignore: [404] });
    await es.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await db.sql(createJoinedSql);
  for (let t = 0; t < transactions; t++) {
    const from = 1 + t * rowsPerTransaction;
    await db.sql(`INSERT INTO public.products ${productRowsSql(from, from + rowsPerTransaction - 1)}`);
  }

  // triggers, functions and the replication slot PGSync needs (its setup, not timed)
  await runPgsync(bin, 'bootstrap', ['--config', schema], env);
  const started = performance.now();
  const output = await runPgsync(bin, 'pgsync', ['--config', schema], env);
  const bootstrapSeconds = (performance.now() - started) / 1000;
  const present = await count(es, index);
  if (present !== products) throw new Error(`PGSync's initial sync left ${present} of ${products} documents`);
  const own = /\(([\d.]+) sec\)/.exec(output);
  figures.push({
    label: 'PGSync bootstrap (incl. process start)',
    value: rate(products, bootstrapSeconds),
    unit: 'docs/s',
  });
  if (own)
    figures.push({ label: 'PGSync bootstrap (its own timer)', value: rate(products, Number(own[1])), unit: 'docs/s' });

  // streaming: the daemon is up once a probe update is visible
  const daemon = startDaemon(bin, schema, env);
  running.daemon = daemon;
  await db.sql(`UPDATE public.products SET title = 'probe' WHERE id = 1`);
  await waitFor(
    'PGSync streaming the probe update',
    async () => (await count(es, index, { match: { title: 'probe' } })) === 1,
    {
      timeoutMs: 300_000,
      intervalMs: 250,
    },
  ).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; daemon output:\n${daemon.output()}`);
  });
  const streamStart = performance.now();
  const { changes, renamed } = await writeStreamingChanges(db, products, transactions, rowsPerTransaction);
  await waitFor('PGSync to apply every insert and the rename', () => streamingApplied(es, index, products, renamed), {
    timeoutMs: 1_800_000,
    intervalMs: 250,
  }).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; daemon output:\n${daemon.output()}`);
  });
  const streamSeconds = (performance.now() - streamStart) / 1000;
  await stopDaemon(daemon.child); // idle from here: not beside Distributary's run
  figures.push({
    label: 'PGSync streaming (inserts + rename)',
    value: rate(changes, streamSeconds),
    unit: 'changes/s',
  });

  const ourRate = (id: number): number | undefined => ours.find((r) => r.id === id && !r.error)?.figures[0]?.value;
  const ours4 = ourRate(4);
  const ours3 = ourRate(3);
  if (ours4) figures.push({ label: 'Distributary bootstrap (4), same run', value: ours4, unit: 'docs/s' });
  if (ours3) figures.push({ label: 'Distributary log → ES (3), same run', value: ours3, unit: 'docs/s' });
  try {
    const stream = await oursStreaming(ctx);
    figures.push({
      label: 'Distributary streaming, same measure',
      value: rate(stream.changes, stream.seconds),
      unit: 'changes/s',
    });
    notes.push(`Distributary streaming: ${stream.seconds.toFixed(1)} s, connector + 1 worker running, same check`);
  } catch (error) {
    notes.push(
      `Distributary streaming on the same measure failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!ours3 || !ours4) notes.push('run with --only 3,4 --peers (or all) to print Distributary beside');
  notes.push(
    `bootstrap ${bootstrapSeconds.toFixed(1)} s for ${products} documents; streaming ${streamSeconds.toFixed(1)} s for ${products} inserts in transactions of ${rowsPerTransaction} and 1 category rename re-indexing ${renamed}`,
    "(3) measures a pre-filled log → ES; both 'streaming' figures run from the first commit (capture included)",
  );
  return {
    id: 11,
    name: `PGSync ${PGSYNC_VERSION} (PyPI) on the joined workload of (3) and (4)`,
    figures,
    setup: {
      products,
      categories: CATEGORY_COUNT,
      'transactions × rows': `${transactions} × ${rowsPerTransaction}`,
      index: '1 shard, 0 replicas',
    },
    notes,
  };
}
