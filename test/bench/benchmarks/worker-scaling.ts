import { startTcpProxy } from '@distributary/testkit';
import type { BenchResult, Figure } from '../bench-types';
import type { BenchContext, FilledLog } from '../context';
import { perSecond, round } from '../stopwatch';
import { RoundTrips } from './round-trips';
import { BULK, scalingRun, type ScalingRun } from './scaling-run';
import { describeStepCpu, type StepCpu } from './step-cpu';
import { describeWritePool } from './es-write-pool';
import { benchConnectorEntry } from '../capture/connector-entry';

const LATENCY_MS = 20;
/** The second point: a latency at which this machine's 2 cores are not the bound even with 4 workers
 *  (BENCH_SCALING_SECOND_MS overrides it; 0 leaves the second point out). */
const SECOND_LATENCY_MS = 100;
/** A log of its own, large enough that start-up and hand-over are a small part of the run. The
 *  hand-over (the old owner finishes its batch in flight, behind 20 ms round trips, then releases) took
 *  1.3–1.5 s on the quiet machine, 2–5 s loaded; that was 6.8 / 12.2 % of a 100,000-document drain at 2 / 4 workers
 *  (8,057 docs/s at 4), so --full drains 400,000 documents (4 workers: ~50 s quiet, hand-over ~3 %). */
const QUICK_SIZE = { transactions: 50, rowsPerTransaction: 1000 };
const FULL_SIZE = { transactions: 400, rowsPerTransaction: 1000 };
/** The second point's log in both presets (at 100 ms, 1 worker drains ~1,000 documents/s). */
const SECOND_SIZE = QUICK_SIZE;

const loadAverage = async (): Promise<string> =>
  (await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** Worker counts: the preset's, or BENCH_SCALING_WORKERS (e.g. `1,4` for a quicker A/B). */
function workerCounts(ctx: BenchContext): number[] {
  const raw = process.env.BENCH_SCALING_WORKERS;
  if (!raw) return ctx.preset.workerCounts;
  const counts = raw.split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`BENCH_SCALING_WORKERS=${raw}: expected worker counts like 1,2,4`);
  return counts;
}

function secondLatency(): number {
  const raw = process.env.BENCH_SCALING_SECOND_MS;
  if (raw === undefined || raw === '') return SECOND_LATENCY_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`BENCH_SCALING_SECOND_MS=${raw}: expected milliseconds`);
  return ms;
}

interface Series {
  figures: Figure[];
  notes: string[];
  errors: string[];
}

/** The notes of one run: where its time went, where the steady window's CPU went, the hand-over. */
function describeTurnarounds(t: ScalingRun['turnarounds']): string {
  const each = t.perWorker.map(
    (g) => `mean ${g.meanMs} (p50 ${g.p50Ms}, p90 ${g.p90Ms}, p99 ${g.p99Ms}, max ${g.maxMs}) ms over ${g.count}`,
  );
  return (
    (each.length ? each.join(' / ') : 'none') + (t.unmapped ? ` (${t.unmapped} events of unknown connections)` : '')
  );
}

function runNotes(prefix: string, workers: number, latencyMs: number, m: ScalingRun, load: string): string[] {
  const notes: string[] = [];
  const run = m.startup + m.drain;
  const pct = (s: number): string => `${round((s / run) * 100, 1)} %`;
  notes.push(
    `${prefix}${workers} worker(s): run ${round(run)} s = start-up ${round(m.startup)} s (${pct(m.startup)}) + ` +
      `drain ${round(m.drain)} s, of which later processes joining ${round(m.joining)} s (${pct(m.joining)}) and ` +
      `lease hand-over ${round(m.handOver)} s (${pct(m.handOver)}; ${round((m.handOver / m.drain) * 100, 1)} % of the ` +
      `drain); steady window ${round(m.steady ?? 0)} s; ${m.writesPerDoc} writes/doc; load ${load}`,
  );
  if (m.steadyCpu && m.steady) {
    const perRequestMs = m.steadyRequests > 0 ? round((workers * m.steady * 1000) / m.steadyRequests, 1) : 0;
    const trips = m.steadyTrips;
    const turnaround = trips ? round(perRequestMs - latencyMs - trips.elasticsearchMs - trips.proxyLateMs, 1) : 0;
    notes.push(
      `${prefix}${workers} worker(s) steady window: ${describeStepCpu(m.steadyCpu)}; ${m.steadyRequests} bulk ` +
        `requests of ${round(m.steadyOps / Math.max(1, m.steadyRequests))} docs, one every ${perRequestMs} ms per ` +
        `worker = ${latencyMs} ms delay` +
        (trips
          ? ` + Elasticsearch ${trips.elasticsearchMs} ms + proxy timers late ${trips.proxyLateMs} ms + the ` +
            `worker's turnaround ${turnaround} ms`
          : '') +
        `; the workers' turnaround measured (bulk reply reaching a worker → its next bulk request): ` +
        describeTurnarounds(m.turnarounds) +
        (trips ? `; ${trips.requests} bulk and ${trips.others} other requests through the proxy` : '') +
        (m.writePool ? `; ${describeWritePool(m.writePool)} (a shared server: others' writes count too)` : ''),
    );
  }
  if (m.steady && m.workerEnds.length > 0) {
    const tail = Math.max(0, m.steady - Math.max(...m.workerEnds));
    notes.push(
      `${prefix}${workers} worker(s) tail: each worker's partitions were all at their end of the log ` +
        `${m.workerEnds.join(' / ')} s into the ${round(m.steady)} s steady window; the rest, ${round(tail, 2)} s ` +
        `(${round((tail / m.steady) * 100, 1)} %), is the fan-out pass still being written after the last ` +
        `partition ended (its chunks are written by every worker); a worker done early idles`,
    );
  }
  notes.push(
    `${prefix}${workers} worker(s) start-up: machine idle ${m.startIdlePct} % until the first commit; each ` +
      `process's CPU until every worker owned its share (start-up included): ${m.startCpu.join(' / ')} s; ` +
      `idle after settling: ${m.idleCpuMsPerSecond.join(' / ')} ms CPU per second`,
  );
  if (m.releasedAfter.length > 0) {
    const worst = (values: number[]): number => round(Math.max(...values), 2);
    notes.push(
      `${prefix}${workers} worker(s) hand-over, ${m.releasedAfter.length} partition(s) moved after the last join: ` +
        `released by the old owner (noticed + batch in flight finished) after ≤ ${worst(m.releasedAfter)} s; ` +
        `acquired by the new owner ≤ ${worst(m.acquiredAfterRelease)} s after the release`,
    );
  }
  return notes;
}

/** Whether the cores bound the step: its CPU per document (every process measured) times the rates of the
 *  step, of linear scaling from the first step (×workers), and of the goal's ×3.2 — in cores. */
function cpuBound(cpu: StepCpu, rate: number, firstRate: number): string {
  const perDoc = cpu.workersPerDoc + cpu.elasticsearchPerDoc + cpu.redisPerDoc + cpu.benchPerDoc;
  const cores = (docsPerSecond: number): number => round((perDoc * docsPerSecond) / 1e6, 2);
  const multiple = round(rate / firstRate, 2);
  return (
    `CPU bound: ${perDoc} µs per document over workers, Elasticsearch, Redis and bench = ${cores(rate)} cores ` +
    `at this step's ${Math.round(rate)} docs/s (×${multiple}); ×3.2 of the first step would need ` +
    `${cores(firstRate * 3.2)} cores and ×4 ${cores(firstRate * 4)}, of ${cpu.cores}`
  );
}

/** 1, 2, 4 … workers over `log` with Elasticsearch behind `latencyMs`; labels start with `prefix`. */
async function scalingSeries(
  ctx: BenchContext,
  log: FilledLog,
  latencyMs: number,
  counts: number[],
  prefix: string,
  workerEntry: string[] | undefined,
): Promise<Series> {
  const trips = new RoundTrips(latencyMs);
  const proxy = await startTcpProxy(Number(new URL(ctx.esUrl).port), '127.0.0.1', {
    replyDelayMs: latencyMs,
    observe: (client) => trips.observer(client),
  });
  const out: Series = { figures: [], notes: [], errors: [] };
  const drainRates: number[] = [];
  const steadyRates: number[] = [];
  const redisPort = new URL(ctx.redisUrl).port;
  try {
    for (const workers of counts) {
      const loadBefore = await loadAverage();
      const m = await scalingRun(log, ctx.esUrl, proxy.url('http'), workers, redisPort, trips, latencyMs, workerEntry);
      const drainRate = perSecond(log.documents, m.drain);
      const steadyRate = m.steady === undefined ? undefined : perSecond(m.steadyOps, m.steady);
      drainRates.push(drainRate);
      steadyRates.push(steadyRate ?? 0);
      out.figures.push({ label: `${prefix}${workers} worker(s), whole drain`, value: drainRate, unit: 'docs/s' });
      if (steadyRate === undefined)
        out.errors.push(`${prefix}${workers} workers: settled before each worker owned its share (logs: ${m.logs})`);
      else
        out.figures.push({
          label: `${prefix}${workers} worker(s), steady (each owns its share)`,
          value: steadyRate,
          unit: 'writes/s',
        });
      if (m.steadyCpu) {
        out.figures.push({
          label: `${prefix}${workers} worker(s), steady: workers' CPU per document`,
          value: m.steadyCpu.workersPerDoc,
          unit: 'µs/doc',
        });
        out.figures.push({
          label: `${prefix}${workers} worker(s), steady: machine idle`,
          value: m.steadyCpu.idlePct,
          unit: '%',
        });
      }
      out.notes.push(...runNotes(prefix, workers, latencyMs, m, `${loadBefore} → ${await loadAverage()}`));
      const bound =
        m.steadyCpu && steadyRate && steadyRates[0] ? cpuBound(m.steadyCpu, steadyRate, steadyRates[0]) : '';
      if (bound && workers > counts[0]) out.notes.push(`${prefix}${workers} worker(s) ${bound}`);
      if (m.indexedDocs !== log.documents)
        out.errors.push(`${prefix}${workers} workers: ${m.indexedDocs} documents for ${log.documents} rows`);
    }
  } finally {
    await proxy.close();
  }
  counts.slice(1).forEach((workers, i) => {
    out.figures.push({
      label: `${prefix}speed-up ${workers} workers, whole drain`,
      value: drainRates[0] ? round(drainRates[i + 1] / drainRates[0]) : 0,
      unit: '×',
    });
    if (steadyRates[0] && steadyRates[i + 1])
      out.figures.push({
        label: `${prefix}speed-up ${workers} workers, steady`,
        value: round(steadyRates[i + 1] / steadyRates[0]),
        unit: '×',
      });
  });
  return out;
}

/**
 * 7. Log → Elasticsearch with 1, 2 and 4 workers sharing the partitions of one sink, with Elasticsearch
 * behind a TCP proxy that adds 20 ms to every reply: the sink is latency-bound (as against a remote
 * cluster), so more workers — more requests in flight — can show even on 2 cores. Two rates per
 * worker count: the whole drain (first committed position → settled) and the steady window (each
 * worker owns its share → settled); the speed-ups of both; and the share of the run spent starting
 * up, waiting for the later processes to join, and handing partitions over. Per step, where the CPU
 * went (per document, per process kind) and the machine's idle share, and what one worker's interval
 * between bulk requests is made of — whether the cores or the latency bound the step. A second point
 * at +100 ms (its own 50,000-document log) shows the scaling where the 2 cores are not the bound.
 */
export async function workerScaling(ctx: BenchContext): Promise<BenchResult> {
  const size = ctx.preset.name === 'quick' ? QUICK_SIZE : FULL_SIZE;
  const counts = workerCounts(ctx);
  const log = await ctx.joinedLogOf(size.transactions, size.rowsPerTransaction);
  // the workers as production runs them: compiled (BENCH_CONNECTOR=tsx: the sources under tsx, whose
  // start-up transpiles every module: ~2.5 s of CPU per process, 4 at once in the 4-worker step)
  const entry = benchConnectorEntry();
  const headline = await scalingSeries(ctx, log, LATENCY_MS, counts, '', entry.entryArgs);
  const second = secondLatency();
  const more: Series = { figures: [], notes: [], errors: [] };
  if (second > 0) {
    const secondLog =
      size === SECOND_SIZE ? log : await ctx.joinedLogOf(SECOND_SIZE.transactions, SECOND_SIZE.rowsPerTransaction);
    Object.assign(
      more,
      await scalingSeries(
        ctx,
        secondLog,
        second,
        counts,
        `at +${second} ms (${secondLog.documents} docs): `,
        entry.entryArgs,
      ),
    );
  }
  const errors = [...headline.errors, ...more.errors];
  return {
    id: 7,
    name: `Log → Elasticsearch by worker count (${ctx.preset.partitions} partitions, ES behind +${LATENCY_MS} ms)`,
    figures: [...headline.figures, ...more.figures],
    setup: {
      documents: log.documents,
      events: log.events,
      partitions: ctx.preset.partitions,
      workers: counts.join('/'),
      latency: `${LATENCY_MS} ms per reply${second > 0 ? `; second point ${second} ms` : ''}`,
      worker: entry.describe,
      bulk:
        (BULK.maxDocs
          ? `${BULK.maxDocs} docs per request, ${BULK.concurrency} in flight per worker`
          : "the sink's defaults (BENCH_SCALING_BULK=default)") +
        (BULK.batchesInFlight ? `, ${BULK.batchesInFlight} batches in flight per partition` : ''),
    },
    notes: [
      'all worker processes start together; partitions are spread by the worker membership/lease protocol',
      ...headline.notes,
      ...more.notes,
    ],
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}
