/**
 * `npm run bench [-- --quick|--full] [--only 1,2,…] [--peers]`: benchmarks on the local stack, each figure
 * printed with its setup, written to bench-results/<timestamp>.json. Never part of `npm test`.
 */
import { Command, Option } from 'commander';
import { describeMachine } from '../harness/machine';
import type { BenchReport, BenchResult } from './bench-types';
import { presets } from './bench-types';
import { esBulkCeiling } from './benchmarks/es-bulk-ceiling';
import { gatewayFanOut } from './benchmarks/gateway-fan-out';
import { hotLookup } from './benchmarks/hot-lookup';
import { otherSinks } from './benchmarks/other-sinks';
import { commitToReadable } from './benchmarks/latency';
import { logToEs } from './benchmarks/log-to-es';
import { peakRss } from './benchmarks/peak-rss';
import { snapshotToEs } from './benchmarks/snapshot-to-es';
import { setCaptureRepeat, walToLog } from './benchmarks/wal-to-log';
import { workerScaling } from './benchmarks/worker-scaling';
import { BenchContext } from './context';
import { pgsyncPeer } from './peers/pgsync';
import { mergeRounds } from './repeat-rounds';
import { renderReport, writeReport } from './report';

const benchmarks: Record<number, (ctx: BenchContext) => Promise<BenchResult>> = {
  1: walToLog,
  2: esBulkCeiling,
  3: logToEs,
  4: snapshotToEs,
  5: commitToReadable,
  6: peakRss,
  7: workerScaling,
  8: hotLookup,
  9: otherSinks,
  10: gatewayFanOut,
};

/** Benchmarks that run `--repeat` times inside themselves (medians of their own runs): one round only. */
const SELF_REPEATING = new Set([1, 6]);

async function runOne(id: number, ctx: BenchContext): Promise<BenchResult> {
  try {
    return await benchmarks[id](ctx);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { id, name: `benchmark ${id}`, figures: [], setup: {}, notes: [], error: message.slice(0, 2000) };
  }
}

/** Adds the ratios to the raw _bulk ceiling (2) to figures 3 and 4. */
function addRatios(results: BenchResult[]): void {
  const ceiling = results.find((r) => r.id === 2)?.figures[0]?.value;
  if (!ceiling) return;
  for (const result of results.filter((r) => r.id === 3 || r.id === 4)) {
    const rate = result.figures[0]?.value;
    if (rate)
      result.figures.push({
        label: 'ratio to raw _bulk (2)',
        value: Math.round((rate / ceiling) * 100) / 100,
        unit: '×',
      });
  }
}

async function main(): Promise<void> {
  const options = new Command('bench')
    .addOption(new Option('--quick', 'small sizes, a few minutes (default)').conflicts('full'))
    .addOption(new Option('--full', 'full sizes (tens of minutes)'))
    .option('--only <ids>', 'comma-separated benchmark numbers (1-10)')
    .option(
      '--repeat <n>',
      "runs of every benchmark, medians reported: 1 and 6 repeat inside, the others run in alternating rounds (each round's ratios against its own ceiling)",
      '1',
    )
    .option('--peers', 'also run PGSync (installed from PyPI into .local/peers) on the workload of 3 and 4')
    .parse()
    .opts<{ full?: boolean; only?: string; repeat: string; peers?: boolean }>();
  setCaptureRepeat(Number(options.repeat));
  const preset = presets[options.full ? 'full' : 'quick'];
  const selected = options.only
    ? options.only.split(',').map((id) => Number(id.trim()))
    : Object.keys(benchmarks).map(Number);
  const unknown = selected.filter((id) => !benchmarks[id]);
  if (unknown.length) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}: choose from 1-10`);
  // ratios 3 and 4 need the reference figure
  if ((selected.includes(3) || selected.includes(4)) && !selected.includes(2)) selected.unshift(2);

  const ctx = new BenchContext(preset);
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    preset,
    machine: await describeMachine({ pg: ctx.pgUrl, redis: ctx.redisUrl, es: ctx.esUrl }),
    results: [],
  };
  const repeat = Math.max(1, Math.floor(Number(options.repeat)));
  const rounds = new Map<number, BenchResult[]>();
  try {
    for (let round = 1; round <= repeat; round++) {
      const roundResults: BenchResult[] = [];
      for (const id of selected.sort((a, b) => a - b)) {
        if (round > 1 && SELF_REPEATING.has(id)) continue;
        process.stderr.write(repeat > 1 ? `bench ${id} (round ${round} of ${repeat})…\n` : `bench ${id}…\n`);
        roundResults.push(await runOne(id, ctx));
      }
      addRatios(roundResults);
      for (const result of roundResults) rounds.set(result.id, [...(rounds.get(result.id) ?? []), result]);
    }
    report.results.push(...[...rounds.values()].map(mergeRounds));
    if (options.peers) {
      process.stderr.write('bench peers (PGSync)…\n');
      try {
        report.results.push(await pgsyncPeer(ctx, report.results));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        report.results.push({ id: 11, name: 'PGSync peer', figures: [], setup: {}, notes: [], error: message });
      }
    }
  } finally {
    await ctx.cleanup();
  }
  process.stdout.write(`${renderReport(report)}\n`);
  process.stdout.write(`written to ${writeReport(report)}\n`);
  if (report.results.some((r) => r.error)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
