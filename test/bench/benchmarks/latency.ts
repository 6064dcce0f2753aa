import { Pool } from 'pg';
import { uniqueName, waitFor } from '@distributary/testkit';
import type { BenchResult, Figure } from '../bench-types';
import { esSink, type BenchContext } from '../context';
import { docsRowsSql } from '../source-table';
import { percentile, round } from '../stopwatch';

const PROBES_PER_SECOND = 100;
const TICK_MS = 10;

async function visible(url: string): Promise<boolean> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status === 200;
}

/**
 * 5. Commit → readable: single-row transactions committed at a fixed rate; for about 100 of them a
 * second, the time from COMMIT returning to a realtime GET by id finding the document.
 */
export async function commitToReadable(ctx: BenchContext): Promise<BenchResult> {
  const index = uniqueName('bench-lat').replace(/_/g, '-');
  const { db, pipeline } = await ctx.newPipeline('bench_lat', { sinks: [esSink('lat', index)], esIndex: index });
  const connector = pipeline.start('connector');
  await pipeline.waitForSlot(connector);
  const worker = pipeline.start('worker');
  const pool = new Pool({ connectionString: db.url, max: 64 });
  const docUrl = (id: number): string => `${ctx.esUrl}/${index}/_doc/${id}?realtime=true&_source=false`;
  try {
    await pool.query(`INSERT INTO public.docs ${docsRowsSql(0, 0)}`);
    await waitFor(
      'the pipeline to be live',
      async () => {
        connector.assertAlive();
        worker.assertAlive();
        return visible(docUrl(0));
      },
      { timeoutMs: 120_000 },
    );

    const figures: Figure[] = [];
    const notes: string[] = [];
    const shortfalls: string[] = [];
    for (const [r, rate] of ctx.preset.latencyRates.entries()) {
      const latencies: number[] = [];
      const probes: Promise<void>[] = [];
      const perTick = (rate * TICK_MS) / 1000;
      const probeEvery = Math.max(1, Math.round(rate / PROBES_PER_SECOND));
      const total = rate * ctx.preset.latencySeconds;
      const firstId = (r + 1) * 10_000_000;
      const writes: Promise<void>[] = [];
      const startedAt = Date.now();
      let issued = 0;
      while (issued < total) {
        const due = Math.min(total, Math.floor(((Date.now() - startedAt) / TICK_MS + 1) * perTick));
        for (; issued < due; issued++) {
          const id = firstId + issued;
          const probe = issued % probeEvery === 0;
          writes.push(
            pool.query(`INSERT INTO public.docs ${docsRowsSql(id, id)}`).then(() => {
              if (!probe) return;
              const committedAt = performance.now();
              probes.push(
                (async () => {
                  while (!(await visible(docUrl(id)))) await new Promise((done) => setTimeout(done, 2));
                  latencies.push(performance.now() - committedAt);
                })(),
              );
            }),
          );
        }
        await new Promise((done) => setTimeout(done, TICK_MS));
      }
      await Promise.all(writes);
      const achieved = Math.round(total / ((Date.now() - startedAt) / 1000));
      await Promise.all(probes);
      figures.push(
        { label: `${rate}/s p50`, value: round(percentile(latencies, 50), 1), unit: 'ms' },
        { label: `${rate}/s p95`, value: round(percentile(latencies, 95), 1), unit: 'ms' },
        { label: `${rate}/s p99`, value: round(percentile(latencies, 99), 1), unit: 'ms' },
      );
      notes.push(`${rate}/s target: ${achieved}/s achieved, ${latencies.length} probes`);
      figures.push({ label: `${rate}/s achieved`, value: round((achieved / rate) * 100, 1), unit: '% of target' });
      if (achieved < rate * 0.95) shortfalls.push(`${rate}/s: only ${achieved}/s achieved (< 95 %)`);
    }
    return {
      id: 5,
      name: 'Commit → readable (realtime GET by id) latency',
      figures,
      setup: {
        secondsPerRate: ctx.preset.latencySeconds,
        transaction: '1 row',
        partitions: ctx.preset.partitions,
        workers: 1,
        probesPerSecond: PROBES_PER_SECOND,
      },
      notes,
      ...(shortfalls.length ? { error: `load generator fell short: ${shortfalls.join('; ')}` } : {}),
    };
  } finally {
    await pool.end();
    await pipeline.stopAll();
  }
}
