/**
 * `npm run chaos [-- --duration 180 --kills 24 --es-outage 40 --seed N --json]`: the fault-injection
 * run (see chaos-run.ts). Prints `chaos: changes=N kills=K restarts=R lost=L divergent=D` and exits
 * non-zero unless lost=0 and divergent=0 (and the drain finished).
 */
import { Command } from 'commander';
import { defaultChaosOptions, runChaos, type ChaosResult } from './chaos-run';

function describeFailures(result: ChaosResult): string[] {
  const lines: string[] = [];
  for (const check of result.checks) {
    const r = check.report;
    lines.push(
      `  ${check.sink}: ${r.expectedCount} expected, ${r.actualCount} present, missing=${r.missingCount} different=${r.differentCount} extra=${r.extraCount}`,
    );
    for (const d of [...r.missing, ...r.different, ...r.extra].slice(0, 5))
      lines.push(`    ${JSON.stringify(d).slice(0, 400)}`);
  }
  for (const [sink, trace] of Object.entries(result.traces))
    for (const [key, events] of Object.entries(trace))
      lines.push(`  log trace ${sink} ${key}: ${events.join('; ') || 'no event in the log'}`);
  if (result.deadLetters) lines.push(`  dead letters: ${result.deadLetters}`);
  if (result.drainError) lines.push(`  drain: ${result.drainError}`);
  for (const crash of result.crashes)
    lines.push(`  ${crash.label} exited on its own: ${crash.output.split('\n').slice(-3).join(' | ').slice(0, 600)}`);
  return lines;
}

async function main(): Promise<void> {
  const options = new Command('chaos')
    .option('--duration <seconds>', 'length of the fault phase', String(defaultChaosOptions.durationMs / 1000))
    .option(
      '--kills <n>',
      'kill -9 of connector / workers (at least 20 for the full run)',
      String(defaultChaosOptions.kills),
    )
    .option('--es-outage <seconds>', 'how long Elasticsearch is cut off', String(defaultChaosOptions.esOutageMs / 1000))
    .option('--workers <n>', 'sink worker processes', String(defaultChaosOptions.workers))
    .option('--rate <tx/s>', 'workload transactions per second', String(defaultChaosOptions.transactionsPerSecond))
    .option(
      '--large-transaction <rows>',
      'rows of the one large transaction',
      String(defaultChaosOptions.largeTransactionRows),
    )
    .option('--no-redis-restart', 'skip the log Redis restart')
    .option('--no-postgres-restart', 'skip the PostgreSQL restart')
    .option('--full', 'also lose the replication slot mid-run (the connector must re-sync)')
    .option('--seed <n>', 'random seed (to replay a run)')
    .option('--json', 'also print the whole result as JSON')
    .option('--keep', 'keep the throwaway servers, index and keys for a post-mortem (remove .local/chaos yourself)')
    .parse()
    .opts<{
      duration: string;
      kills: string;
      esOutage: string;
      workers: string;
      rate: string;
      largeTransaction: string;
      seed?: string;
      json?: boolean;
      keep?: boolean;
      redisRestart: boolean;
      postgresRestart: boolean;
      full?: boolean;
    }>();
  const result = await runChaos({
    durationMs: Number(options.duration) * 1000,
    kills: Number(options.kills),
    esOutageMs: Number(options.esOutage) * 1000,
    workers: Number(options.workers),
    transactionsPerSecond: Number(options.rate),
    largeTransactionRows: Number(options.largeTransaction),
    ...(options.seed ? { seed: Number(options.seed) } : {}),
    keep: Boolean(options.keep),
    restartRedis: options.redisRestart,
    restartPostgres: options.postgresRestart,
    loseSlot: Boolean(options.full),
  });
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  for (const line of describeFailures(result)) process.stdout.write(`${line}\n`);
  process.stdout.write(`${result.summary}\n`);
  const ok = result.lost === 0 && result.divergent === 0 && !result.drainError;
  process.exit(ok ? 0 : 1); // a kept run leaves servers behind that would hold the event loop open
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
