import type { BenchResult, Figure } from '../bench-types';
import type { BenchContext } from '../context';
import { joinedEsSink } from '../joined-table';
import { startLatencyProxy } from '../latency-proxy';
import { perSecond, round } from '../stopwatch';
import { measureEsDrain } from './sink-drain';

const LATENCY_MS = 20;
/** Small requests, one in flight per worker: each round trip then costs what it would against a remote
 *  cluster, so the drain is bound by latency rather than by this machine's 2 cores. */
const BULK = { maxDocs: 100, concurrency: 1 };

/**
 * 7. Log → Elasticsearch with 1, 2 and 4 workers sharing the partitions of one sink, with Elasticsearch
 * behind a TCP proxy that adds 20 ms to every reply: the sink is latency-bound (as against a remote
 * cluster), so more workers — more requests in flight — can show even on 2 cores.
 */
export async function workerScaling(ctx: BenchContext): Promise<BenchResult> {
  const log = await ctx.filledJoinedLog();
  const proxy = await startLatencyProxy(Number(new URL(ctx.esUrl).port), LATENCY_MS);
  const figures: Figure[] = [];
  const notes: string[] = [];
  const errors: string[] = [];
  const rates: number[] = [];
  try {
    for (const workers of ctx.preset.workerCounts) {
      const m = await measureEsDrain(log, ctx.esUrl, `bench-w${workers}`, workers, {
        sink: (name, index) => {
          const sink = joinedEsSink(name, index, proxy.url);
          return { ...sink, elasticsearch: { ...(sink.elasticsearch as object), bulk: BULK } };
        },
      });
      const rate = perSecond(log.documents, m.seconds);
      rates.push(rate);
      figures.push({ label: `${workers} worker(s)`, value: rate, unit: 'docs/s' });
      figures.push({ label: `${workers} worker(s) drain time`, value: round(m.seconds), unit: 's' });
      const handOver = m.secondsWithStartup - m.seconds;
      notes.push(
        `${workers} worker(s): start-up and lease hand-over ${round(handOver)} s = ` +
          `${round((handOver / m.secondsWithStartup) * 100, 1)} % of the run; ${m.writesPerDoc} writes/doc`,
      );
      if (m.indexedDocs !== log.documents)
        errors.push(`${workers} workers: ${m.indexedDocs} documents for ${log.documents} rows`);
    }
  } finally {
    await proxy.close();
  }
  rates.slice(1).forEach((rate, i) => {
    figures.push({
      label: `speed-up ${ctx.preset.workerCounts[i + 1]} workers`,
      value: rates[0] ? round(rate / rates[0]) : 0,
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
    notes: ['all workers start together; partitions are spread by the worker membership/lease protocol', ...notes],
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}
