import type { BenchResult, Figure } from '../bench-types';
import type { BenchContext } from '../context';
import { benchConnectorEntry } from '../capture/connector-entry';
import { drainOnce, type DrainRun } from '../capture/drain-run';
import { median } from '../capture/proc-stats';
import { ROW_BYTES } from '../source-table';
import { round } from '../stopwatch';

/**
 * 1. WAL → log: one connector process drains a slot pre-filled with N transactions × M rows (quick
 * 100 × 500 = 50,000; full 200 × 1,000 = 200,000), on the single log Redis and on the local 3-node
 * Redis Cluster. Each run also measures, on the same entries, the raw pipelined XADD ceiling and
 * pg_recvlogical draining an identical slot. With --repeat N every figure is the median of N runs.
 */
const SIZES = { quick: { transactions: 100, rows: 500 }, full: { transactions: 200, rows: 1000 } };
const BATCH_SIZE = 1000;
let repeat = 1;

/** Set from `--repeat N` (main.ts). */
export function setCaptureRepeat(times: number): void {
  repeat = Math.max(1, Math.floor(times));
}

/** Runs per figure of 1 and 6 (`--repeat N`). */
export function captureRepeat(): number {
  return repeat;
}

function medianOf(runs: DrainRun[], pick: (run: DrainRun) => number | undefined): number {
  return median(runs.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v)));
}

export async function walToLog(ctx: BenchContext): Promise<BenchResult> {
  const size = SIZES[ctx.preset.name];
  const base = {
    redisUrl: ctx.redisUrl,
    transactions: size.transactions,
    rowsPerTransaction: size.rows,
    partitions: ctx.preset.partitions,
    batchSize: BATCH_SIZE,
  };
  const single: DrainRun[] = [];
  const cluster: DrainRun[] = [];
  for (let i = 0; i < repeat; i++) {
    process.stderr.write(`bench 1: run ${i + 1}/${repeat} (single Redis, then cluster)…\n`);
    single.push(await drainOnce({ ...base, cluster: false, recvlogical: true }));
    cluster.push(await drainOnce({ ...base, cluster: true, recvlogical: false }));
  }
  const steady = medianOf(single, (r) => r.steadyRate);
  const xadd = medianOf(single, (r) => r.xaddCeiling);
  const recv = medianOf(single, (r) => r.recvlogicalRate);
  const clusterSteady = medianOf(cluster, (r) => r.steadyRate);
  const clusterXadd = medianOf(cluster, (r) => r.xaddCeiling);
  const figures: Figure[] = [
    { label: 'steady events/s (10→90 %)', value: steady, unit: 'events/s' },
    { label: 'events/s from 50 % to 95 %', value: medianOf(single, (r) => r.lateRate), unit: 'events/s' },
    {
      label: 'time to first event (process start)',
      value: round(medianOf(single, (r) => r.firstEventSeconds)),
      unit: 's',
    },
    { label: 'process start → last LSN confirmed', value: round(medianOf(single, (r) => r.totalSeconds)), unit: 's' },
    {
      label: 'connector CPU per event (drain: first event → last confirmation)',
      value: round(
        medianOf(single, (r) => r.cpuMicrosPerEvent),
        1,
      ),
      unit: 'µs',
    },
    {
      label: 'connector CPU per event incl. start-up (process start → last confirmation)',
      value: round(
        medianOf(single, (r) => r.cpuMicrosPerEventTotal),
        1,
      ),
      unit: 'µs',
    },
    {
      label: 'connector start-up CPU (process start → first event)',
      value: round(
        medianOf(single, (r) => r.startupCpuMillis),
        0,
      ),
      unit: 'ms',
    },
    {
      label: 'connector peak RSS',
      value: round(medianOf(single, (r) => r.peakRssBytes) / 2 ** 20, 1),
      unit: 'MiB',
    },
    { label: 'ceiling: raw pipelined XADD, same entries', value: xadd, unit: 'events/s' },
    { label: 'ratio to the XADD ceiling', value: round(steady / xadd), unit: '×' },
    { label: 'ceiling: pg_recvlogical → /dev/null', value: recv, unit: 'events/s' },
    { label: 'ratio to pg_recvlogical', value: round(steady / recv), unit: '×' },
    { label: 'Redis Cluster (3 nodes): steady events/s', value: clusterSteady, unit: 'events/s' },
    { label: 'Redis Cluster: events/s 50→95 %', value: medianOf(cluster, (r) => r.lateRate), unit: 'events/s' },
    { label: 'Redis Cluster: raw XADD ceiling', value: clusterXadd, unit: 'events/s' },
    { label: 'Redis Cluster: ratio to its XADD ceiling', value: round(clusterSteady / clusterXadd), unit: '×' },
  ];
  return {
    id: 1,
    name: 'WAL → log (connector draining a pre-filled slot)',
    figures,
    setup: {
      transactions: size.transactions,
      rowsPerTransaction: size.rows,
      events: single[0]?.events ?? 0,
      rowBytes: ROW_BYTES,
      partitions: ctx.preset.partitions,
      batchSize: BATCH_SIZE,
      runs: repeat,
      connector: benchConnectorEntry().describe,
    },
    notes: [
      `median of ${repeat} run(s); single runs steady: ${single.map((r) => r.steadyRate).join(', ')} events/s`,
      'steady = events/s between 10 % and 90 % of the events in the log (sampled every ~10 ms)',
      'CPU and RSS are of the connector process (/proc, every thread); CPU per event: drain only (first event → last confirmation), and the whole process life (start-up included) beside it',
      'ceilings measured in the same run, on the same entries / an identical slot',
      `connector: ${benchConnectorEntry().describe}; production runs the compiled build (BENCH_CONNECTOR=tsx: the sources under tsx)`,
    ],
  };
}
