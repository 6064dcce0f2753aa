import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { uniqueName } from '@distributary/testkit';
import { repoRoot } from '../../harness/role-process';
import type { BenchResult } from '../bench-types';
import type { BenchContext } from '../context';
import { indexingOps, joinedEsSink } from '../joined-table';
import { waitSinkAtEnds } from '../sink-settle';
import { round, seconds } from '../stopwatch';

const MiB = 2 ** 20;
const HOT_ROWS = 3;

/**
 * 8. A hot lookup row: while the initial snapshot of N products bootstraps, writers update the 3
 * categories every product joins (each a lookup of N/3 documents) at a fixed rate, like a TPC-B
 * branch row. Reported: time from the writers' stop until settled (every position at the log end),
 * the worker's peak RSS, "lease not renewed" drops (must be 0), the longest event-loop block of the
 * worker (leases are renewed on it, on their own connection), index operations per document, and
 * how long the worker takes to exit on SIGTERM afterwards. Settled includes the background fan-out
 * passes (sinkAtEnds waits for the sink's dirty set to be empty).
 */
export async function hotLookup(ctx: BenchContext): Promise<BenchResult> {
  const full = ctx.preset.name === 'full';
  const rows = full ? 300_000 : 30_000;
  const rate = full ? 1400 : 300;
  const writeSeconds = full ? 30 : 10;
  const partitions = ctx.preset.partitions;
  const index = uniqueName('bench-hot').replace(/_/g, '-');
  const logDir = join(repoRoot, '.local', 'bench', index);
  mkdirSync(logDir, { recursive: true });
  const { db, pipeline } = await ctx.newPipeline('bench_hot', {
    snapshot: 'initial',
    sinks: [joinedEsSink('hot', index)],
    esIndex: index,
    joined: true,
    logDir,
  });
  await db.sql(`INSERT INTO public.products
    SELECT g, 1 + g % ${HOT_ROWS}, 'title ' || g, rpad(md5(g::text), 240, md5((g * 7)::text))
    FROM generate_series(1, ${rows}) g`);
  const setup = { rows, hotRows: HOT_ROWS, writerRate: `${rate} tx/s`, writeSeconds, partitions, workers: 1 };
  const name = 'Hot lookup rows during bootstrap';
  const connector = pipeline.start('connector');
  const worker = pipeline.start('worker');
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, worker.peakRss() ?? 0)), 250);
  const pool = new Pool({ connectionString: db.url, max: 16 });
  try {
    await pipeline.waitForSlot(connector);
    const startedAt = Date.now();
    let issued = 0;
    const writes: Promise<unknown>[] = [];
    while (issued < rate * writeSeconds) {
      const due = Math.min(rate * writeSeconds, Math.floor(((Date.now() - startedAt) / 1000) * rate));
      for (; issued < due; issued++) {
        writes.push(
          pool.query(`UPDATE public.categories SET name = 'category ' || id || ' v' || $1::int WHERE id = $2::int`, [
            issued,
            1 + (issued % HOT_ROWS),
          ]),
        );
      }
      await new Promise((done) => setTimeout(done, 10));
    }
    await Promise.all(writes);
    const stoppedAt = Date.now();
    const achieved = Math.round(issued / seconds(startedAt, stoppedAt));
    const target = await pipeline.sourceLsn();
    const settleMs = full ? 1_800_000 : 600_000;
    let settled = true;
    try {
      await pipeline.waitForLog(target, settleMs);
      await waitSinkAtEnds(pipeline, 'hot', partitions, [connector, worker], {
        what: 'the sink to settle',
        timeoutMs: settleMs,
        intervalMs: 100,
      });
    } catch {
      settled = false;
    }
    const afterStop = seconds(stoppedAt);
    await fetch(`${ctx.esUrl}/${index}/_refresh`, { method: 'POST' });
    const count = ((await (await fetch(`${ctx.esUrl}/${index}/_count`)).json()) as { count: number }).count;
    const ops = await indexingOps(ctx.esUrl, index);
    const termAt = Date.now();
    await worker.stop(60_000);
    const termSeconds = seconds(termAt);
    const workerLogs = readdirSync(logDir)
      .filter((f) => f.startsWith('worker'))
      .map((f) => readFileSync(join(logDir, f), 'utf8'));
    const drops = workerLogs.reduce((n, text) => n + text.split('lease not renewed').length - 1, 0);
    // warned by the runner when the worker's event loop (which renews the leases) was blocked for a third
    // of the lease TTL or more (at the bench's warn log level the stop line with the max is not printed)
    const loopDelays = workerLogs.flatMap((text) =>
      [...text.matchAll(/eventLoopDelayMaxMs"?[:=]\s*(\d+)/g)].map((m) => Number(m[1])),
    );
    return {
      id: 8,
      name,
      figures: [
        { label: 'settled after the writers stopped', value: round(afterStop), unit: 's' },
        { label: 'worker peak RSS', value: round(peak / MiB, 1), unit: 'MiB' },
        { label: 'lease drops', value: drops, unit: '' },
        ...(loopDelays.length > 0
          ? [{ label: 'worker event loop blocked at most', value: Math.max(...loopDelays), unit: 'ms' }]
          : []),
        { label: 'writes per document', value: count ? round((ops.indexed + ops.failed) / count) : 0, unit: '×' },
        { label: 'SIGTERM to exit', value: round(termSeconds), unit: 's' },
      ],
      setup,
      notes: [
        `writers: ${achieved} tx/s achieved for ${rate} tx/s target`,
        loopDelays.length > 0
          ? `worker event loop blocked ≥ 1/3 lease TTL ${loopDelays.length} times`
          : 'worker event loop never blocked for 1/3 of the lease TTL or more (no warning logged)',
        `worker output in ${logDir}`,
      ],
      ...(!settled
        ? { error: `not settled ${round(afterStop)} s after the writers stopped (${count}/${rows} documents)` }
        : count !== rows
          ? { error: `index holds ${count} documents for ${rows} rows when settled` }
          : {}),
    };
  } finally {
    clearInterval(sampler);
    await pool.end();
    await pipeline.stopAll();
  }
}
