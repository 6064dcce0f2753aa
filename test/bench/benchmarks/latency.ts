import { Pool } from 'pg';
import { startTcpProxy, uniqueName, waitFor } from '@distributary/testkit';
import type { BenchResult, Figure } from '../bench-types';
import { type BenchContext } from '../context';
import { POLL_MS, ProbeTracker, SLOW_REQUEST_MS, latencies, stageDurations } from '../latency-probes';
import { DOCS_TABLE } from '../source-table';
import { percentile, round } from '../stopwatch';
import { cpuMicros } from '../capture/proc-stats';
import { RoleProcess } from '../../harness/role-process';
import { roleNodeFlags } from '../../../apps/cli/src/supervisor/node-flags';
import { serviceCpu } from '../service-cpu';

const PROBES_PER_SECOND = 100;
const TICK_MS = 10;
const CONNECTIONS = 32;
/** Commits per second the load generator aims at, at most: above it a transaction carries several rows
 *  (5,000 changes/s = 1,000 transactions of 5 rows). Each row is one change and one document. */
const MAX_COMMITS_PER_SECOND = 1000;
const WARM_UP_SECONDS = 3;

/** One statement, prepared once per connection: rows [$1, $2] of public.docs (~300 B each). */
const INSERT = {
  name: 'bench-lat-insert',
  text: `INSERT INTO public.docs SELECT g, g % 100, 'title ' || g, rpad(md5(g::text), 240, md5((g * 7)::text))
    FROM generate_series($1::int, $2::int) AS g`,
};

/** This process's CPU µs so far: the load generator, the proxy and the probes (measurement load on shared cores). */
const benchCpu = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

const refreshCounts = async (docsUrl: string): Promise<{ total: number; external: number }> => {
  const response = await fetch(`${docsUrl}/_stats/refresh`);
  const body = (await response.json()) as {
    _all: { primaries: { refresh: { total: number; external_total: number } } };
  };
  const { total, external_total } = body._all.primaries.refresh;
  return { total, external: external_total };
};

const loadAverage = async (): Promise<string> =>
  (await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/**
 * 5. Commit → readable: transactions committed at a fixed rate of changes; for about 100 of them a
 * second, the time from COMMIT returning to the document being readable by a realtime GET by id (the
 * earlier of Elasticsearch's answer to the bulk request carrying it and a realtime _mget finding it),
 * with where the time went (latency-probes.ts): commit → in the log → bulk request sent → readable.
 */
export async function commitToReadable(ctx: BenchContext): Promise<BenchResult> {
  const index = uniqueName('bench-lat').replace(/_/g, '-');
  const esPort = Number(new URL(ctx.esUrl).port);
  let probeIds = new Set<number>();
  const docsUrl = `${ctx.esUrl}/${index}`;
  const tracker = new ProbeTracker((id) => probeIds.has(id), docsUrl);
  const proxy = await startTcpProxy(esPort, '127.0.0.1', { observe: () => tracker.bulkObserver() });
  // BENCH_LATENCY_BATCHES_IN_FLIGHT=<n>: the sink's bulk.batchesInFlight (an A/B of it in one tree)
  const inFlight = Number(process.env.BENCH_LATENCY_BATCHES_IN_FLIGHT ?? 0);
  const bulk = inFlight > 0 ? { bulk: { batchesInFlight: inFlight } } : {};
  // BENCH_LATENCY_INDEX_SETTINGS=<json>: the sink's elasticsearch.settings, e.g. '{"refresh_interval":null}'
  // for Elasticsearch's own default (search-idle shards) against the sink's 1s
  const settingsJson = process.env.BENCH_LATENCY_INDEX_SETTINGS;
  const settings = settingsJson ? { settings: JSON.parse(settingsJson) as Record<string, unknown> } : {};
  const sink = {
    name: 'lat',
    elasticsearch: { url: proxy.url('http'), index, ...bulk, ...settings },
    from: DOCS_TABLE,
  };
  const { db, pipeline } = await ctx.newPipeline('bench_lat', { sinks: [sink], esIndex: index });
  const connector = pipeline.start('connector');
  await pipeline.waitForSlot(connector);
  // BENCH_LATENCY_CPU_PROFILE=<dir>: the worker runs under `node --cpu-prof` (a profile written when it exits)
  const profileDir = process.env.BENCH_LATENCY_CPU_PROFILE;
  const worker = profileDir
    ? new RoleProcess('worker', pipeline.configFile, 'worker-prof#0', {}, undefined, [
        ...roleNodeFlags('worker', (process.env.NODE_OPTIONS ?? '').split(/\s+/)),
        '--cpu-prof',
        `--cpu-prof-dir=${profileDir}`,
      ])
    : pipeline.start('worker');
  const pool = new Pool({ connectionString: db.url, max: CONNECTIONS });
  const redisPort = new URL(ctx.redisUrl).port;
  const reader = pipeline.redis.duplicate();
  try {
    await pool.query({ ...INSERT, values: [0, 0] });
    await waitFor(
      'the pipeline to be live',
      async () => {
        connector.assertAlive();
        worker.assertAlive();
        const response = await fetch(`${docsUrl}/_doc/0?realtime=true&_source=false`);
        await response.arrayBuffer();
        return response.status === 200;
      },
      { timeoutMs: 120_000 },
    );
    // warm every pooled connection (and its prepared statement) before timing anything
    await Promise.all(
      Array.from({ length: CONNECTIONS }, (_, i) => pool.query({ ...INSERT, values: [-1 - i, -1 - i] })),
    );

    const figures: Figure[] = [];
    const notes: string[] = [];
    const shortfalls: string[] = [];
    tracker.watchLog(reader, pipeline.keys, ctx.preset.partitions);
    tracker.pollVisible();
    const drive = async (rate: number, secondsOfLoad: number, firstId: number) => {
      const rowsPerTx = Math.max(1, Math.ceil(rate / MAX_COMMITS_PER_SECOND));
      const commits = rate / rowsPerTx;
      const perTick = (commits * TICK_MS) / 1000;
      const probeEvery = Math.max(1, Math.round(commits / PROBES_PER_SECOND));
      const total = Math.round(commits * secondsOfLoad);
      probeIds = new Set<number>();
      for (let t = 0; t < total; t += probeEvery) probeIds.add(firstId + t * rowsPerTx);
      const writes: Promise<void>[] = [];
      const startedAt = Date.now();
      let issued = 0;
      while (issued < total) {
        const due = Math.min(total, Math.floor(((Date.now() - startedAt) / TICK_MS + 1) * perTick));
        for (; issued < due; issued++) {
          const id = firstId + issued * rowsPerTx;
          writes.push(
            pool.query({ ...INSERT, values: [id, id + rowsPerTx - 1] }).then(() => tracker.mark(id, 'committed')),
          );
        }
        await new Promise((done) => setTimeout(done, TICK_MS));
      }
      await Promise.all(writes);
      const achieved = Math.round((total * rowsPerTx) / ((Date.now() - startedAt) / 1000));
      await tracker.settle(60_000);
      return { rowsPerTx, commits, achieved };
    };
    // not measured: JIT, connections and caches of every process warm up at the first rate
    await drive(ctx.preset.latencyRates[0], WARM_UP_SECONDS, 1_000_000);
    for (const [r, rate] of ctx.preset.latencyRates.entries()) {
      const loadBefore = await loadAverage();
      const before = {
        ...tracker.bulk,
        worker: cpuMicros(worker.pid) ?? 0,
        connector: cpuMicros(connector.pid) ?? 0,
        bench: benchCpu(),
        es: serviceCpu(redisPort).elasticsearch,
        refreshes: await refreshCounts(docsUrl),
        slow: { ...tracker.slow },
      };
      const { rowsPerTx, commits, achieved } = await drive(rate, ctx.preset.latencySeconds, (r + 1) * 10_000_000);
      // per change of this rate (drive() waited until every probe was readable: the rate's work is done)
      const changes = Math.round(commits * ctx.preset.latencySeconds) * rowsPerTx;
      const requests = tracker.bulk.requests - before.requests;
      const workerCpu = ((cpuMicros(worker.pid) ?? 0) - before.worker) / changes;
      const connectorCpu = ((cpuMicros(connector.pid) ?? 0) - before.connector) / changes;
      const benchCpuPerChange = (benchCpu() - before.bench) / changes;
      const esCpu = (serviceCpu(redisPort).elasticsearch - before.es) / changes;
      const refreshesAfter = await refreshCounts(docsUrl);
      // a request that took seconds while the others took milliseconds is Elasticsearch's, not the sink's:
      // the refresh count shows whether the shard went search-idle (index-body.ts DEFAULT_REFRESH_INTERVAL)
      notes.push(
        `${rate}/s Elasticsearch: ${refreshesAfter.total - before.refreshes.total} refreshes of the index ` +
          `(${refreshesAfter.external - before.refreshes.external} external); ` +
          `${tracker.slow.requests - before.slow.requests} requests answered after > ${SLOW_REQUEST_MS} ms ` +
          `(slowest of the run so far ${Math.round(tracker.slow.maxMs)} ms)`,
      );
      const probes = [...probeIds].map((id) => tracker.probes.get(id) ?? {});
      const latency = latencies(probes);
      figures.push(
        { label: `${rate}/s p50`, value: round(percentile(latency, 50), 1), unit: 'ms' },
        { label: `${rate}/s p95`, value: round(percentile(latency, 95), 1), unit: 'ms' },
        { label: `${rate}/s p99`, value: round(percentile(latency, 99), 1), unit: 'ms' },
        { label: `${rate}/s achieved`, value: round((achieved / rate) * 100, 1), unit: '% of target' },
        { label: `${rate}/s bulk requests/s`, value: round(requests / ctx.preset.latencySeconds, 1), unit: 'req/s' },
        {
          label: `${rate}/s docs per request`,
          value: round((tracker.bulk.docs - before.docs) / Math.max(1, requests), 1),
          unit: 'docs',
        },
        { label: `${rate}/s worker CPU per change`, value: round(workerCpu, 1), unit: 'µs' },
        { label: `${rate}/s Elasticsearch CPU per change`, value: round(esCpu, 1), unit: 'µs' },
        { label: `${rate}/s connector CPU per change`, value: round(connectorCpu, 1), unit: 'µs' },
        { label: `${rate}/s bench process CPU per change`, value: round(benchCpuPerChange, 1), unit: 'µs' },
      );
      const { path, beside } = stageDurations(tracker.complete(probeIds));
      const mean = (ms: number[]): number => ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length);
      const pathMean = Object.values(path).reduce((sum, ms) => sum + mean(ms), 0);
      // each stage's p50/p99 is a figure; the share of the mean is what stays comparable across loads
      for (const [stage, ms] of Object.entries({ ...path, ...beside }))
        figures.push(
          { label: `${rate}/s ${stage} p50`, value: round(percentile(ms, 50), 1), unit: 'ms' },
          { label: `${rate}/s ${stage} p99`, value: round(percentile(ms, 99), 1), unit: 'ms' },
        );
      const breakdown = Object.entries(path)
        .map(([stage, ms]) => `${stage} ${round((mean(ms) / pathMean) * 100)} %`)
        .join(', ');
      const ackFirst = beside['answered → visible'].filter((ms) => ms <= 0).length;
      notes.push(
        `${rate}/s (${rowsPerTx} row(s) per transaction, ${commits} commits/s): ${achieved}/s achieved, ` +
          `${latency.length} of ${probeIds.size} probes visible; load ${loadBefore} → ${await loadAverage()}`,
        `${rate}/s share of the mean latency: ${breakdown}; the _mget found the document before ` +
          `Elasticsearch's answer for ${ackFirst} of ${beside['answered → visible'].length} probes`,
      );
      if (latency.length < probeIds.size)
        shortfalls.push(`${rate}/s: ${probeIds.size - latency.length} probes never visible`);
      if (achieved < rate * 0.95) shortfalls.push(`${rate}/s: only ${achieved}/s achieved (< 95 %)`);
    }
    return {
      id: 5,
      name: 'Commit → readable (realtime GET by id) latency',
      figures,
      setup: {
        secondsPerRate: ctx.preset.latencySeconds,
        warmUp: `${WARM_UP_SECONDS} s at the first rate, not measured`,
        transaction: `1 row up to ${MAX_COMMITS_PER_SECOND} changes/s, above: ceil(rate / ${MAX_COMMITS_PER_SECOND}) rows (one INSERT)`,
        connections: CONNECTIONS,
        batchesInFlight: inFlight > 0 ? inFlight : 'the default (1)',
        partitions: ctx.preset.partitions,
        workers: 1,
        probesPerSecond: PROBES_PER_SECOND,
        visibility: `readable = min(ES answered the bulk request, a realtime _mget found it; one _mget of every pending probe every ${POLL_MS} ms)`,
        breakdown: 'log: XREAD over every partition; sent/answered: a no-delay TCP proxy in front of ES',
      },
      notes,
      ...(shortfalls.length ? { error: `load generator fell short: ${shortfalls.join('; ')}` } : {}),
    };
  } finally {
    await tracker.stop();
    reader.disconnect();
    await pool.end();
    if (profileDir) await worker.stop();
    await pipeline.stopAll();
    await proxy.close();
  }
}
