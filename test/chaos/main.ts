/**
 * `npm run chaos [-- --duration 180 --kills 24 --es-outage 40 --seed N --json]`: the fault-injection
 * run (see chaos-run.ts). Prints `chaos: changes=N kills=K restarts=R lost=L divergent=D dlq_replayed=P`
 * and exits non-zero unless lost=0 and divergent=0 (and the drain finished; with poison rows, every one
 * reached its DLQ and no dead letter is left).
 *
 * `--full` is the production-size run: at least 200,000 changes, a 1,000,000-row transaction, 30 kills,
 * a schema change, the slot lost, poison rows and a second pipeline. Every size is a flag, so a shorter
 * full run fits a small machine, e.g.
 * `npm run chaos -- --full --duration 420 --changes 30000 --large-transaction 100000`.
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
  if (result.deadLetters) lines.push(`  dead letters left: ${result.deadLetters}`);
  if (result.poison) lines.push(`  poison dead-lettered: ${JSON.stringify(result.poison.deadLettered)}`);
  if (result.schemaChanged === false) lines.push('  the schema change did not happen');
  if (!result.largeTransactionCommitted) lines.push('  the large transaction did not commit (see its log line)');
  if (result.drainError) lines.push(`  drain: ${result.drainError}`);
  for (const crash of result.crashes)
    lines.push(`  ${crash.label} exited on its own: ${crash.output.split('\n').slice(-3).join(' | ').slice(0, 600)}`);
  return lines;
}

async function main(): Promise<void> {
  const options = new Command('chaos')
    .option(
      '--duration <seconds>',
      `length of the fault phase (default ${defaultChaosOptions.durationMs / 1000}, --full 1200)`,
    )
    .option('--kills <n>', `kill -9 of connector / workers (default ${defaultChaosOptions.kills}, --full 30)`)
    .option('--es-outage <seconds>', 'how long Elasticsearch is cut off', String(defaultChaosOptions.esOutageMs / 1000))
    .option('--workers <n>', 'sink worker processes', String(defaultChaosOptions.workers))
    .option('--rate <tx/s>', 'workload transactions per second', String(defaultChaosOptions.transactionsPerSecond))
    .option(
      '--large-transaction <rows>',
      `rows of the one large transaction (default ${defaultChaosOptions.largeTransactionRows}, --full 1000000)`,
    )
    .option('--changes <n>', 'keep writing until this many changes committed (--full 200000)')
    .option(
      '--drain-timeout <seconds>',
      'how long the drain may take',
      String(defaultChaosOptions.drainTimeoutMs / 1000),
    )
    .option('--no-schema-change', '--full: skip the ADD COLUMN … DEFAULT')
    .option('--no-poison', '--full: skip the poison rows')
    .option('--no-second-pipeline', '--full: skip the second pipeline')
    .option(
      '--joined',
      'also joined Elasticsearch sinks: orders with their account name (a lookup) and accounts with their notes (children), checked against the joins',
    )
    .option('--no-view-cluster', '--full: the view targets in the source cluster, not in a second one')
    .option('--no-redis-restart', 'skip the log Redis restart')
    .option('--no-postgres-restart', 'skip the PostgreSQL restart')
    .option(
      '--full',
      'production size: also a schema change, the replication slot lost, poison rows and a second pipeline',
    )
    .option('--seed <n>', 'random seed (to replay a run)')
    .option('--json', 'also print the whole result as JSON')
    .option('--keep', 'keep the throwaway servers, index and keys for a post-mortem (remove .local/chaos yourself)')
    .parse()
    .opts<{
      duration?: string;
      kills?: string;
      esOutage: string;
      workers: string;
      rate: string;
      largeTransaction?: string;
      changes?: string;
      drainTimeout: string;
      schemaChange: boolean;
      poison: boolean;
      secondPipeline: boolean;
      joined?: boolean;
      viewCluster: boolean;
      seed?: string;
      json?: boolean;
      keep?: boolean;
      redisRestart: boolean;
      postgresRestart: boolean;
      full?: boolean;
    }>();
  const full = Boolean(options.full);
  const pick = (given: string | undefined, normal: number, fullSize: number): number =>
    given !== undefined ? Number(given) : full ? fullSize : normal;
  const result = await runChaos({
    durationMs: pick(options.duration, defaultChaosOptions.durationMs / 1000, 1200) * 1000,
    kills: pick(options.kills, defaultChaosOptions.kills, 30),
    esOutageMs: Number(options.esOutage) * 1000,
    workers: Number(options.workers),
    transactionsPerSecond: Number(options.rate),
    largeTransactionRows: pick(options.largeTransaction, defaultChaosOptions.largeTransactionRows, 1_000_000),
    minChanges: pick(options.changes, 0, 200_000),
    drainTimeoutMs: Number(options.drainTimeout) * 1000,
    schemaChange: full && options.schemaChange,
    poison: full && options.poison,
    secondPipeline: full && options.secondPipeline,
    joined: Boolean(options.joined),
    separateViewCluster: full && options.viewCluster,
    ...(options.seed ? { seed: Number(options.seed) } : {}),
    keep: Boolean(options.keep),
    restartRedis: options.redisRestart,
    restartPostgres: options.postgresRestart,
    loseSlot: Boolean(options.full),
  });
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  for (const line of describeFailures(result)) process.stdout.write(`${line}\n`);
  process.stdout.write(`${result.summary}\n`);
  const poisonOk =
    !result.poison || (Object.values(result.poison.deadLettered).every(Boolean) && result.deadLetters === 0);
  const ok =
    result.lost === 0 &&
    result.divergent === 0 &&
    !result.drainError &&
    poisonOk &&
    result.largeTransactionCommitted &&
    result.schemaChanged !== false;
  process.exit(ok ? 0 : 1); // a kept run leaves servers behind that would hold the event loop open
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
