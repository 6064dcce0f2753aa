/**
 * The fault-injection run: a workload over three tables flows PostgreSQL → connector → log (Redis)
 * → workers → Elasticsearch, a Redis cache and a materialized view, while the run kill -9's the
 * connector and the workers at random moments, kill -9's and restarts the log Redis once, cuts
 * Elasticsearch off for a while (TCP proxy) and crash-restarts PostgreSQL once. Then it drains and
 * compares every sink with the source. lost = rows the source has and a sink lacks; divergent =
 * sink entries that differ from the source or should not exist. Both must be 0.
 *
 * The full run (`npm run chaos -- --full`) adds: writes until `minChanges`, a schema change (ADD
 * COLUMN … DEFAULT on accounts: the connector re-syncs the table), the replication slot lost, one
 * poison row per sink kind that must reach that sink's DLQ and, after a fix, be replayed with the
 * real `dlq replay` (poison.ts), and a second pipeline with the same sink names sharing every store
 * (chaos-pipelines.ts), verified like the first.
 *
 * Isolation: a throwaway PostgreSQL and log Redis under .local/chaos/<run>/ (never the shared
 * stack's servers), a proxy in front of the shared Elasticsearch with a unique index, a unique key
 * prefix on the shared Redis for the cache. Everything is removed at the end.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { esUrl, redisUrl, startTcpProxy, uniqueName } from '@distributary/testkit';
import { stack } from '@distributary/testkit';
import { deleteIndices, deleteKeys } from '../harness/pipeline';
import { repoRoot } from '../harness/role-process';
import { connectRedis } from '@distributary/changelog';
import { chaosPipeline, type ChaosPipeline } from './chaos-pipelines';
import { traceKeys } from './log-trace';
import { keyText, scanLog } from '../harness/log-scan';
import { fixAndReplay, plantPoison, replayLeftovers, type PoisonOutcome } from './poison';
import { Random } from './random';
import { checkSinks, type SinkCheck } from './sink-checks';
import { Supervisor } from './supervisor';
import { ThrowawayPostgres } from './throwaway-postgres';
import { ThrowawayRedis } from './throwaway-redis';
import { ChaosWorkload, chaosSchemaSql } from './workload';
import { Client } from 'pg';

export interface ChaosOptions {
  /** Length of the fault phase (writes and kills), before the drain. */
  durationMs: number;
  kills: number;
  /** How long Elasticsearch is cut off. */
  esOutageMs: number;
  workers: number;
  partitions: number;
  transactionsPerSecond: number;
  largeTransactionRows: number;
  drainTimeoutMs: number;
  seed: number;
  log: (line: string) => void;
  /** Which service faults to inject (all by default; turn one off to bisect a failure). */
  restartRedis: boolean;
  restartPostgres: boolean;
  /** Lose the replication slot: the connector is held down while the workload writes on and enough WAL
   *  passes for PostgreSQL to invalidate the slot (small max_slot_wal_keep_size); it must re-sync. */
  loseSlot?: boolean;
  /** The view sinks' targets in a second throwaway PostgreSQL, not in the source cluster: the views'
   *  own WAL (a re-read of the large transaction re-applied into them) is then not the source's WAL
   *  that the replication slot has to keep (see walKeepMb). */
  separateViewCluster?: boolean;
  /** Keep writing after the fault phase until this many changes committed (the large transaction counts). */
  minChanges?: number;
  /** ALTER TABLE public.accounts ADD COLUMN tier text NOT NULL DEFAULT 'basic' mid-run. */
  schemaChange?: boolean;
  /** One poison row per sink kind: dead-lettered, fixed, replayed with `dlq replay`. */
  poison?: boolean;
  /** A second pipeline with the same sink names on the same stores. */
  secondPipeline?: boolean;
  /** The joined Elasticsearch sinks too: orders with their account's name (a lookup on its key), accounts with their notes (children). */
  joined?: boolean;
  /** Leave the throwaway servers, index and keys in place (for a post-mortem); processes still stop. */
  keep?: boolean;
}

export const defaultChaosOptions: ChaosOptions = {
  durationMs: 180_000,
  kills: 24,
  esOutageMs: 40_000,
  workers: 2,
  partitions: 4,
  transactionsPerSecond: 40,
  largeTransactionRows: 20_000,
  drainTimeoutMs: 300_000,
  restartRedis: true,
  restartPostgres: true,
  seed: Date.now() % 2 ** 31,
  log: (line) => process.stderr.write(`${line}\n`),
};

export interface ChaosResult {
  seed: number;
  changes: number;
  transactions: number;
  failedTransactions: number;
  largeTransactionCommitted: boolean;
  kills: number;
  /** Service restarts and outages: log Redis, PostgreSQL, Elasticsearch cut. */
  restarts: number;
  /** Processes that exited on their own (restarted by the supervisor). */
  crashes: { label: string; output: string }[];
  lost: number;
  divergent: number;
  /** Dead letters left at the end (after the poison replays). */
  deadLetters: number;
  /** Dead letters re-synced by `dlq replay`. */
  dlqReplayed: number;
  poison?: PoisonOutcome;
  schemaChanged?: boolean;
  pipelines: string[];
  /** For a few differing keys: their events in the log (see log-trace.ts). */
  traces: Record<string, Record<string, string[]>>;
  drainError?: string;
  checks: SinkCheck[];
  summary: string;
}

/**
 * The source's max_slot_wal_keep_size in MB, as a production user would size it: a cap that protects
 * the primary's disk from a slot nobody reads, far above the WAL of the largest transaction (about
 * 300 MB per 1M rows here) and of a re-sync's re-read. With 64 MB a 1M-row run lost each new slot
 * again; with the view targets in the source cluster a re-read wrote 2–3.6 GB of the views' WAL into
 * it (the re-sync now stops after 3 such losses, see slot-recovery.ts). The full run therefore puts
 * the view targets in their own cluster (separateViewCluster), as a deployment whose reporting tables
 * live in another database would.
 */
function walKeepMb(largeTransactionRows: number): number {
  return Math.max(64, Math.ceil(largeTransactionRows / 1000) * 2);
}

/** Writes WAL segments and checkpoints until PostgreSQL invalidates the slot; returns its wal_status. */
async function loseSlot(url: string, slot: string, keepMb: number): Promise<string> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a PostgreSQL crash-restart meanwhile: the query in flight fails
  await client.connect();
  try {
    let status = '';
    for (let i = 0; i < keepMb / 16 + 24 && status !== 'lost'; i++) {
      await client.query('SELECT pg_logical_emit_message(false, $1, $2)', ['chaos', 'x']);
      await client.query('SELECT pg_switch_wal()');
      if (i % 4 === 3) await client.query('CHECKPOINT');
      const { rows } = await client.query<{ wal_status: string }>(
        'SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      status = rows[0]?.wal_status ?? 'missing';
    }
    return status;
  } finally {
    await client.end();
  }
}

async function exec(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a PostgreSQL crash-restart meanwhile: the query in flight fails
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Log entries a failed check dumps at most. */
const LOG_DUMP_LIMIT = 200_000;

/** The Elasticsearch version (the commit LSN that wrote it) of a document, for a trace. */
async function esVersionOf(alias: string, id: string): Promise<string> {
  const response = await fetch(`${esUrl()}/${alias}/_doc/${encodeURIComponent(id)}`).catch(() => undefined);
  const body = (await response?.json().catch(() => undefined)) as { found?: boolean; _version?: number } | undefined;
  return `elasticsearch: ${body?.found ? `version ${body._version}` : 'not found'}`;
}

/** A failed check keeps every process log and what the log and the sinks said, for a post-mortem. */
function keepFailureArtifacts(dir: string, name: string, artifacts: object, log: (line: string) => void): void {
  const target = join(repoRoot, 'test-artifacts', 'chaos', name);
  try {
    mkdirSync(target, { recursive: true });
    cpSync(join(dir, 'logs'), join(target, 'logs'), { recursive: true });
    writeFileSync(join(target, 'failure.json'), JSON.stringify(artifacts, null, 1));
    log(`failed check: process logs, traces and positions kept in ${target}`);
  } catch (error) {
    log(`failed check: could not keep its artifacts in ${target}: ${String(error)}`);
  }
}

export async function runChaos(partial: Partial<ChaosOptions> = {}): Promise<ChaosResult> {
  const options = { ...defaultChaosOptions, ...partial };
  const { log } = options;
  const random = new Random(options.seed);
  const name = uniqueName('chaos').replace(/_/g, '-');
  const dir = join(repoRoot, '.local', 'chaos', name);
  const cacheRedisUrl = redisUrl(0);
  const names = options.secondPipeline ? [name, `${name}-b`] : [name];
  log(
    `chaos ${name}: seed ${options.seed}, ${options.durationMs / 1000}s, ${options.kills} kills, ES outage ${options.esOutageMs / 1000}s` +
      `, large transaction ${options.largeTransactionRows} rows, min changes ${options.minChanges ?? 0}` +
      `${options.schemaChange ? ', schema change' : ''}${options.poison ? ', poison rows' : ''}` +
      `${options.loseSlot ? ', slot loss' : ''}${options.separateViewCluster ? ', views in their own cluster' : ''}, pipelines ${names.join(' ')}`,
  );

  const pg = await ThrowawayPostgres.create(
    join(dir, 'postgres'),
    options.loseSlot ? [`max_slot_wal_keep_size = '${walKeepMb(options.largeTransactionRows)}MB'`] : [],
  );
  const cleanups: (() => Promise<void>)[] = [() => pg.destroy()];
  const keepers: (() => void)[] = [() => pg.keepRunning()];
  const viewPg = options.separateViewCluster
    ? await ThrowawayPostgres.create(join(dir, 'views')).catch(async (error: unknown) => {
        await pg.destroy();
        throw error;
      })
    : undefined;
  if (viewPg) {
    cleanups.push(() => viewPg.destroy());
    keepers.push(() => viewPg.keepRunning());
  }
  const pipelines: ChaosPipeline[] = [];
  const supervisors: Supervisor[] = [];
  let workload: ChaosWorkload | undefined;
  let failureArtifacts: object | undefined;
  try {
    const logRedis = await ThrowawayRedis.create(join(dir, 'redis'));
    cleanups.unshift(() => logRedis.destroy());
    keepers.push(() => logRedis.keepRunning());
    const esProxy = await startTcpProxy(stack.esPort);
    cleanups.unshift(() => esProxy.close());
    for (const pipelineName of names) {
      cleanups.unshift(() => deleteIndices(esUrl(), `${pipelineName}-accounts`));
      cleanups.unshift(async () => {
        const cache = connectRedis({ url: cacheRedisUrl });
        await deleteKeys(cache, `${pipelineName}:*`);
        await deleteKeys(cache, `{${pipelineName}:*`);
        cache.disconnect();
      });
    }

    const sourceUrl = pg.url();
    await exec(sourceUrl, chaosSchemaSql);
    names.forEach((pipelineName, i) => {
      mkdirSync(join(dir, 'logs', pipelineName), { recursive: true });
      pipelines.push(
        chaosPipeline({
          name: pipelineName,
          tableSuffix: i === 0 ? '' : '_b',
          sourceUrl,
          viewUrl: viewPg?.url() ?? sourceUrl,
          logRedisUrl: logRedis.url,
          esProxyUrl: esProxy.url('http'),
          esUrl: esUrl(),
          cacheRedisUrl,
          partitions: options.partitions,
          logDir: join(dir, 'logs'),
          poison: Boolean(options.poison),
          joined: Boolean(options.joined),
        }),
      );
    });
    for (const [i, { pipeline }] of pipelines.entries()) {
      const supervisor = new Supervisor(pipeline, random);
      supervisors.push(supervisor);
      await pipeline.waitForSlot(supervisor.add('connector'));
      // the second pipeline: one worker (the machine runs both)
      for (let w = 0; w < (i === 0 ? options.workers : 1); w++) supervisor.add('worker');
      supervisor.start();
    }
    const first = pipelines[0].pipeline;
    workload = new ChaosWorkload(sourceUrl, random, options.transactionsPerSecond);
    workload.start();
    const activeWorkload = workload;

    // the fault schedule, as offsets into the fault phase
    const d = options.durationMs;
    const events: { at: number; what: string; run: () => Promise<unknown> }[] = [];
    const killSpan = 0.8 * d;
    for (let k = 0; k < options.kills; k++) {
      const at = 0.05 * d + (killSpan * (k + 0.2 + 0.6 * random.next())) / options.kills;
      events.push({
        at,
        what: 'kill -9',
        run: async () => {
          const i = random.int(0, supervisors.length - 1);
          log(`  kill -9 ${names[i]} ${await supervisors[i].killRandom()}`);
        },
      });
    }
    let restarts = 0;
    let largeTransactionCommitted = false;
    let schemaChanged = false;
    const outcome: { poison?: PoisonOutcome } = {};
    let poisonPlanted: Promise<unknown> = Promise.resolve();
    const poisonTargets = pipelines.map((p) => ({ pipeline: p.pipeline, cachePrefix: p.targets.cachePrefix }));
    if (options.restartRedis)
      events.push({
        at: 0.25 * d,
        what: 'restart the log Redis',
        run: async () => {
          await logRedis.restart(1000);
          restarts++;
        },
      });
    if (options.poison)
      events.push({
        at: 0.3 * d,
        what: 'poison rows (ES immense keyword, cache WRONGTYPE key, 40 kB GROUP BY value)',
        run: () => (poisonPlanted = plantPoison(sourceUrl, cacheRedisUrl, poisonTargets, random)),
      });
    events.push({
      at: 0.35 * d,
      what: `large transaction (${options.largeTransactionRows} orders)`,
      run: async () => {
        largeTransactionCommitted = await activeWorkload.largeTransaction(options.largeTransactionRows);
        log(
          `  large transaction committed: ${largeTransactionCommitted}` +
            (largeTransactionCommitted ? '' : ` (${activeWorkload.lastError ?? 'unknown error'})`),
        );
      },
    });
    if (options.esOutageMs > 0)
      events.push({
        at: 0.45 * d,
        what: `cut Elasticsearch for ${options.esOutageMs / 1000}s`,
        run: async () => {
          esProxy.cut();
          restarts++;
          setTimeout(() => {
            esProxy.resume();
            log('  Elasticsearch reachable again');
          }, options.esOutageMs);
        },
      });
    if (options.schemaChange)
      events.push({
        at: 0.5 * d,
        what: 'schema change: ALTER TABLE public.accounts ADD COLUMN tier … DEFAULT',
        run: async () => {
          await exec(sourceUrl, `ALTER TABLE public.accounts ADD COLUMN tier text NOT NULL DEFAULT 'basic'`);
          schemaChanged = true;
        },
      });
    if (options.loseSlot)
      events.push({
        at: 0.55 * d,
        what: 'lose the replication slot (connector held down, WAL past max_slot_wal_keep_size)',
        run: async () => {
          await supervisors[0].hold('connector');
          try {
            log(`  slot: ${await loseSlot(sourceUrl, first.slotName, walKeepMb(options.largeTransactionRows))}`);
          } finally {
            supervisors[0].release('connector');
          }
        },
      });
    if (options.restartPostgres)
      events.push({
        at: 0.65 * d,
        what: 'crash-restart PostgreSQL',
        run: async () => {
          await pg.restart();
          restarts++;
        },
      });
    if (options.poison)
      events.push({
        at: 0.7 * d,
        what: 'poison: wait for the DLQs, fix the causes, dlq replay',
        run: async () => {
          await poisonPlanted;
          outcome.poison = await fixAndReplay(sourceUrl, cacheRedisUrl, poisonTargets, pipelines[0].sinks, log);
          log(`  poison: ${JSON.stringify(outcome.poison)}`);
        },
      });
    events.sort((a, b) => a.at - b.at);

    const startedAt = Date.now();
    const running: Promise<unknown>[] = [];
    for (const event of events) {
      const wait = startedAt + event.at - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      log(`t+${((Date.now() - startedAt) / 1000).toFixed(1)}s ${event.what}`);
      running.push(event.run().catch((error: unknown) => log(`  ${event.what} failed: ${String(error)}`)));
    }
    const endWrites = startedAt + 0.85 * d - Date.now();
    if (endWrites > 0) await new Promise((resolve) => setTimeout(resolve, endWrites));
    while (activeWorkload.changes < (options.minChanges ?? 0)) {
      log(`  writing on: ${activeWorkload.changes} of ${options.minChanges} changes`);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
    await activeWorkload.stop();
    await Promise.all(running);
    const outageEnd = startedAt + 0.45 * d + options.esOutageMs - Date.now();
    if (outageEnd > 0) await new Promise((resolve) => setTimeout(resolve, outageEnd + 100));
    const remaining = startedAt + d - Date.now();
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));

    log(`drain: ${activeWorkload.changes} changes in ${activeWorkload.committed} transactions`);
    for (const supervisor of supervisors) supervisor.settle();
    let drainError: string | undefined;
    try {
      const drain = async (): Promise<void> => {
        const target = await first.sourceLsn();
        for (const { pipeline, sinks } of pipelines) {
          await pipeline.waitForLog(target, options.drainTimeoutMs);
          await pipeline.waitForSinks(target, sinks, options.drainTimeoutMs);
        }
      };
      await drain();
      if (outcome.poison) {
        const again = await replayLeftovers(poisonTargets, pipelines[0].sinks, log);
        outcome.poison.replayed += again;
        if (again > 0) {
          await new Promise((resolve) => setTimeout(resolve, 5000)); // the re-sync's watermarks reach the WAL
          await drain();
        }
      }
    } catch (error) {
      drainError = error instanceof Error ? error.message : String(error);
      // why: the last warnings of the processes still running (a stalled connector says so there)
      const warnings = pipelines.flatMap(({ pipeline }) =>
        pipeline.live().flatMap((p) =>
          p.output
            .split('\n')
            .filter((line) => /"level":(40|50|60)/.test(line))
            .slice(-1)
            .map((line) => `${pipeline.spec.name} ${p.label}: ${line.slice(0, 600)}`),
        ),
      );
      if (warnings.length) drainError += `\n${warnings.join('\n')}`;
      log(`drain failed: ${drainError}`);
    }
    const checks: SinkCheck[] = [];
    let deadLetters = 0;
    const traces: Record<string, Record<string, string[]>> = {};
    const tables: Record<string, string> = {
      'elasticsearch accounts': 'public.accounts',
      'redis cache notes': 'public.notes',
    };
    for (const { pipeline, targets, sinks } of pipelines) {
      const own = await checkSinks(targets);
      checks.push(...own);
      for (const sink of sinks) deadLetters += await pipeline.redis.xlen(pipeline.keys.deadLetters(sink));
      for (const check of own) {
        const table = tables[check.sink.slice(`${pipeline.spec.name} `.length)];
        const ids = [...check.report.missing, ...check.report.different, ...check.report.extra]
          .slice(0, 5)
          .map((d) => d.key);
        if (table && ids.length)
          traces[check.sink] = await traceKeys(pipeline.redis, pipeline.keys, options.partitions, table, ids);
        if (table === 'public.accounts')
          for (const id of ids) traces[check.sink][id]?.push(await esVersionOf(`${pipeline.spec.name}-accounts`, id));
      }
    }
    const lost = checks.reduce((n, c) => n + c.report.missingCount, 0);
    const divergent = checks.reduce((n, c) => n + c.report.differentCount + c.report.extraCount, 0);
    if (lost + divergent > 0) {
      const positions: Record<string, Record<string, string>> = {};
      for (const { pipeline } of pipelines)
        for (let p = 0; p < options.partitions; p++)
          positions[`${pipeline.spec.name} p${p}`] = await pipeline.redis.hgetall(pipeline.keys.positions(p));
      // every entry of a short run; a full run's log (a 1,000,000-row transaction) would not fit a file
      const logDump: string[] = [];
      for (const { pipeline } of pipelines)
        await scanLog(pipeline.redis, pipeline.keys, options.partitions, (event, p) => {
          if (logDump.length < LOG_DUMP_LIMIT)
            logDump.push(
              `${pipeline.spec.name} p${p} ${event.pos.lsn}-${event.pos.seq} ${event.table} ${keyText(event)} ${event.op}`,
            );
        });
      failureArtifacts = { checks, traces, positions, log: logDump };
    }
    const kills = supervisors.reduce((n, s) => n + s.kills, 0);
    const { poison } = outcome;
    const dlqReplayed = poison?.replayed ?? 0;
    const result: ChaosResult = {
      seed: options.seed,
      changes: activeWorkload.changes,
      transactions: activeWorkload.committed,
      failedTransactions: activeWorkload.failed,
      largeTransactionCommitted,
      kills,
      restarts,
      crashes: supervisors.flatMap((s) => s.crashes),
      lost,
      divergent,
      deadLetters,
      dlqReplayed,
      ...(options.poison ? { poison: poison ?? { deadLettered: { 'fix and replay ran': false }, replayed: 0 } } : {}),
      ...(options.schemaChange ? { schemaChanged } : {}),
      pipelines: names,
      traces,
      ...(drainError ? { drainError } : {}),
      checks,
      summary: `chaos: changes=${activeWorkload.changes} kills=${kills} restarts=${restarts} lost=${lost} divergent=${divergent} dlq_replayed=${dlqReplayed}`,
    };
    return result;
  } finally {
    for (const supervisor of supervisors) supervisor.stop();
    await workload?.close().catch(() => undefined);
    if (options.keep) {
      for (const { pipeline } of pipelines) await pipeline.stopAll();
      for (const keep of keepers) keep();
      log(
        `kept for inspection: ${dir} (source ${pg.url()}${viewPg ? `, views ${viewPg.url()}` : ''}), pipelines ${names.join(' ')}`,
      );
    } else {
      if (failureArtifacts) keepFailureArtifacts(dir, name, failureArtifacts, log);
      for (const { pipeline } of pipelines) await pipeline.destroy().catch(() => undefined);
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
