import { leaseHolder } from '@distributary/changelog';
import { startTcpProxy, uniqueName, waitFor } from '@distributary/testkit';
import { sinkAtEnds, sinkStarted } from '../../harness/sink-progress';
import type { BenchResult, Figure } from '../bench-types';
import type { BenchContext, FilledLog } from '../context';
import { indexingOps, joinedEsSink } from '../joined-table';
import { perSecond, round, seconds } from '../stopwatch';

const LATENCY_MS = 20;
/** Small requests, one in flight per worker: each round trip then costs what it would against a remote
 *  cluster, so the drain is bound by latency rather than by this machine's 2 cores. */
const BULK = { maxDocs: 100, concurrency: 1 };
/** A log of its own, large enough that start-up and hand-over are a small part of the run. The
 *  hand-over (the old owner finishes its batch in flight, behind 20 ms round trips, then releases) took
 *  1.3–1.5 s on the quiet machine, 2–5 s loaded; that was 6.8 / 12.2 % of a 100,000-document drain at 2 / 4 workers
 *  (8,057 docs/s at 4), so --full drains 400,000 documents (4 workers: ~50 s quiet, hand-over ~3 %). */
const QUICK_SIZE = { transactions: 50, rowsPerTransaction: 1000 };
const FULL_SIZE = { transactions: 400, rowsPerTransaction: 1000 };

interface ScalingRun {
  /** Process start → the sink's first committed position. */
  startup: number;
  /** First committed position → every worker in the member set (the later processes still starting). */
  joining: number;
  /** Every worker a member → each owns its share (partitions / workers leases): the hand-over. */
  handOver: number;
  /** Within the hand-over, per moved partition: members → its lease released by the old owner (the old
   *  owner noticing and finishing its batch in flight), and released → acquired by the new owner (s). */
  releasedAfter: number[];
  acquiredAfterRelease: number[];
  /** First committed position → settled (every position at the log's end). */
  drain: number;
  /** Each worker owns its share → settled (undefined: settled before every worker had its share). */
  steady: number | undefined;
  /** Index operations in the steady window. */
  steadyOps: number;
  indexedDocs: number;
  writesPerDoc: number;
}

const loadAverage = async (): Promise<string> =>
  (await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** `workers` workers over the log; times start-up, joining, hand-over and the steady window. */
async function scalingRun(log: FilledLog, esUrl: string, proxyUrl: string, workers: number): Promise<ScalingRun> {
  const { pipeline } = log;
  const partitions = pipeline.spec.partitions;
  const name = `bench-w${workers}`;
  const index = uniqueName(name).replace(/_/g, '-');
  const sink = joinedEsSink(name, index, proxyUrl);
  const configFile = pipeline.variant(name, [
    { ...sink, elasticsearch: { ...(sink.elasticsearch as object), bulk: BULK } },
  ]);
  const startedAt = Date.now();
  const processes = Array.from({ length: workers }, () => pipeline.start('worker', { configFile }));
  let firstAt = 0;
  let membersAt = 0;
  let ownedAt = 0;
  let opsAtOwned = 0;
  // per partition during the hand-over: the holder when every worker had joined, when it let go, when taken
  const moves = new Map<number, { from?: string; releasedAt?: number; acquiredAt?: number }>();
  const balanced = async (): Promise<boolean> => {
    const holders = await Promise.all(
      Array.from({ length: partitions }, (_, p) => leaseHolder(pipeline.redis, pipeline.keys, name, p)),
    );
    const now = Date.now();
    holders.forEach((holder, p) => {
      const move = moves.get(p);
      if (!move) moves.set(p, { from: holder ?? undefined, ...(holder ? {} : { releasedAt: now }) });
      else if (!holder) move.releasedAt ??= now;
      else if (holder !== move.from && move.acquiredAt === undefined) {
        move.releasedAt ??= now;
        move.acquiredAt = now;
      }
    });
    const counts = new Map<string, number>();
    for (const h of holders) if (h) counts.set(h, (counts.get(h) ?? 0) + 1);
    return counts.size === workers && [...counts.values()].every((c) => c === partitions / workers);
  };
  try {
    await waitFor(
      `${name} to drain the log`,
      async () => {
        processes.forEach((p) => p.assertAlive());
        if (!firstAt && (await sinkStarted(pipeline.redis, pipeline.keys, name, partitions))) firstAt = Date.now();
        if (!firstAt) return false;
        if (!membersAt && (await pipeline.redis.zcard(pipeline.keys.workers())) >= workers) membersAt = Date.now();
        if (membersAt && !ownedAt && (await balanced())) {
          ownedAt = Date.now();
          const ops = await indexingOps(esUrl, index);
          opsAtOwned = ops.indexed + ops.failed;
        }
        return sinkAtEnds(pipeline.redis, pipeline.keys, name, partitions, log.ends);
      },
      { timeoutMs: 1_800_000, intervalMs: 10 },
    );
    const doneAt = Date.now();
    const balancedInTime = ownedAt > 0;
    ownedAt ||= doneAt; // settled before every worker got its share
    membersAt ||= ownedAt;
    await fetch(`${esUrl}/${index}/_refresh`, { method: 'POST' });
    const count = (await (await fetch(`${esUrl}/${index}/_count`)).json()) as { count: number };
    const ops = await indexingOps(esUrl, index);
    const moved = [...moves.values()].filter((m) => m.acquiredAt !== undefined);
    return {
      releasedAfter: moved.map((m) => seconds(membersAt, m.releasedAt as number)),
      acquiredAfterRelease: moved.map((m) => seconds(m.releasedAt as number, m.acquiredAt as number)),
      startup: seconds(startedAt, firstAt),
      joining: seconds(firstAt, membersAt),
      handOver: seconds(membersAt, ownedAt),
      drain: seconds(firstAt, doneAt),
      steady: balancedInTime ? seconds(ownedAt, doneAt) : undefined,
      steadyOps: ops.indexed + ops.failed - opsAtOwned,
      indexedDocs: count.count,
      writesPerDoc: count.count > 0 ? round((ops.indexed + ops.failed) / count.count) : 0,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await fetch(`${esUrl}/${index}_v*`, { method: 'DELETE' }).catch(() => undefined);
  }
}

/**
 * 7. Log → Elasticsearch with 1, 2 and 4 workers sharing the partitions of one sink, with Elasticsearch
 * behind a TCP proxy that adds 20 ms to every reply: the sink is latency-bound (as against a remote
 * cluster), so more workers — more requests in flight — can show even on 2 cores. Two rates per
 * worker count: the whole drain (first committed position → settled) and the steady window (each
 * worker owns its share → settled); the speed-ups of both; and the share of the run spent starting
 * up, waiting for the later processes to join, and handing partitions over.
 */
export async function workerScaling(ctx: BenchContext): Promise<BenchResult> {
  const size = ctx.preset.name === 'quick' ? QUICK_SIZE : FULL_SIZE;
  const log = await ctx.joinedLogOf(size.transactions, size.rowsPerTransaction);
  const proxy = await startTcpProxy(Number(new URL(ctx.esUrl).port), '127.0.0.1', { replyDelayMs: LATENCY_MS });
  const figures: Figure[] = [];
  const notes: string[] = [];
  const errors: string[] = [];
  const drainRates: number[] = [];
  const steadyRates: number[] = [];
  try {
    for (const workers of ctx.preset.workerCounts) {
      const loadBefore = await loadAverage();
      const m = await scalingRun(log, ctx.esUrl, proxy.url('http'), workers);
      const drainRate = perSecond(log.documents, m.drain);
      const steadyRate = m.steady === undefined ? undefined : perSecond(m.steadyOps, m.steady);
      drainRates.push(drainRate);
      steadyRates.push(steadyRate ?? 0);
      figures.push({ label: `${workers} worker(s), whole drain`, value: drainRate, unit: 'docs/s' });
      if (steadyRate === undefined) errors.push(`${workers} workers: settled before each worker owned its share`);
      else
        figures.push({
          label: `${workers} worker(s), steady (each owns its share)`,
          value: steadyRate,
          unit: 'writes/s',
        });
      const run = m.startup + m.drain;
      const pct = (s: number): string => `${round((s / run) * 100, 1)} %`;
      notes.push(
        `${workers} worker(s): run ${round(run)} s = start-up ${round(m.startup)} s (${pct(m.startup)}) + ` +
          `drain ${round(m.drain)} s, of which later processes joining ${round(m.joining)} s (${pct(m.joining)}) and ` +
          `lease hand-over ${round(m.handOver)} s (${pct(m.handOver)}; ${round((m.handOver / m.drain) * 100, 1)} % of the ` +
          `drain); steady window ${round(m.steady ?? 0)} s; ` +
          `${m.writesPerDoc} writes/doc; load ${loadBefore} → ${await loadAverage()}`,
      );
      if (m.releasedAfter.length > 0) {
        const worst = (values: number[]): number => round(Math.max(...values), 2);
        notes.push(
          `${workers} worker(s) hand-over, ${m.releasedAfter.length} partition(s) moved after the last join: ` +
            `released by the old owner (noticed + batch in flight finished) after ≤ ${worst(m.releasedAfter)} s; ` +
            `acquired by the new owner ≤ ${worst(m.acquiredAfterRelease)} s after the release`,
        );
      }
      if (m.indexedDocs !== log.documents)
        errors.push(`${workers} workers: ${m.indexedDocs} documents for ${log.documents} rows`);
    }
  } finally {
    await proxy.close();
  }
  ctx.preset.workerCounts.slice(1).forEach((workers, i) => {
    figures.push({
      label: `speed-up ${workers} workers, whole drain`,
      value: drainRates[0] ? round(drainRates[i + 1] / drainRates[0]) : 0,
      unit: '×',
    });
    if (steadyRates[0] && steadyRates[i + 1])
      figures.push({
        label: `speed-up ${workers} workers, steady`,
        value: round(steadyRates[i + 1] / steadyRates[0]),
        unit: '×',
      });
  });
  return {
    id: 7,
    name: `Log → Elasticsearch by worker count (${ctx.preset.partitions} partitions, ES behind +${LATENCY_MS} ms)`,
    figures,
    setup: {
      documents: log.documents,
      events: log.events,
      partitions: ctx.preset.partitions,
      workers: ctx.preset.workerCounts.join('/'),
      latency: `${LATENCY_MS} ms per reply`,
      bulk: `${BULK.maxDocs} docs per request, ${BULK.concurrency} in flight per worker`,
    },
    notes: [
      'all worker processes start together; partitions are spread by the worker membership/lease protocol',
      ...notes,
    ],
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}
