import { resolve } from 'node:path';
import { uniqueName } from '@distributary/testkit';
import { repoRoot } from '../../harness/role-process';
import { logEntries } from '../../harness/sink-progress';
import type { BenchResult } from '../bench-types';
import type { BenchContext } from '../context';
import { bulkFigures, CATEGORY_COUNT, fillProducts, indexingOps, joinedEsSink, joinedSinkBulk } from '../joined-table';
import { ROW_BYTES } from '../source-table';
import { waitSinkAtEnds } from '../sink-settle';
import { perSecond, round, seconds } from '../stopwatch';
import { cpuMicros } from '../capture/proc-stats';
import { perDocument, serverFigures, serviceCpu } from '../service-cpu';
import { loggedNumber, logTimeline } from '../log-timeline';
import { benchConnectorEntry } from '../capture/connector-entry';
import { cpuWhenLogged } from '../capture/cpu-when-logged';
import { machineJiffies } from './step-cpu';
import { cpus } from 'node:os';

/** Stages of the run as the processes logged them (info level), in seconds from their start. */
const STAGES = [
  ['connector', 'acquired the connector lease: leading', 'connector leading (process start-up)'],
  ['connector', 'created slot; initial snapshot', 'slot created, snapshot reading starts'],
  ['connector', 'initial snapshot complete', 'snapshot read and appended'],
  ['connector', 'streaming', 'connector streaming'],
  ['worker', 'sink worker started', 'worker started'],
  ['worker', 'consuming partition', 'worker consuming its first partition'],
] as const;

/**
 * 4. Initial snapshot → Elasticsearch: products (joined with their category) already in the tables when
 * the pipeline first starts (source.postgres.snapshot: initial), timed from starting connector and
 * worker together until settled: the snapshot finished (the connector confirmed the LSN taken after
 * the fill, which it does only once the snapshot rows are logged) and every sink position is at its
 * partition's end. Then the documents are counted, and the index operations per document.
 */
export async function snapshotToEs(ctx: BenchContext): Promise<BenchResult> {
  const index = uniqueName('bench-snap').replace(/_/g, '-');
  const partitions = ctx.preset.partitions;
  const { db, pipeline } = await ctx.newPipeline('bench_snap', {
    snapshot: 'initial',
    sinks: [joinedEsSink('snap', index)],
    esIndex: index,
    joined: true,
    // BENCH_SNAPSHOT_LOG_DIR=<dir>: each process's output also in <dir>/<label>.log (with BENCH_SNAPSHOT_LOG_LEVEL)
    ...(process.env.BENCH_SNAPSHOT_LOG_DIR ? { logDir: process.env.BENCH_SNAPSHOT_LOG_DIR } : {}),
  });
  const rows = await fillProducts(db.url, ctx.preset.transactions, ctx.preset.rowsPerTransaction);
  const setup = {
    rows,
    rowBytes: ROW_BYTES,
    join: `products → categories (${CATEGORY_COUNT})`,
    partitions,
    workers: 1,
    ...joinedSinkBulk(),
  };
  const name = 'Initial snapshot → Elasticsearch, joined documents';
  // Both processes as production runs them: compiled (built before the clock starts; BENCH_CONNECTOR=tsx:
  // the sources under tsx, whose start-up transpiles every module: ~2.6 s of CPU per process).
  const entry = benchConnectorEntry();
  // BENCH_SNAPSHOT_CPU_PROFILE=<dir>: both processes under `node --cpu-prof` (a profile each, at exit).
  const profileDir = process.env.BENCH_SNAPSHOT_CPU_PROFILE;
  const entryArgs = [
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ...(entry.entryArgs ?? ['--import', 'tsx', resolve(repoRoot, 'test/harness/run-role.ts')]),
  ];
  const redisPort = new URL(ctx.redisUrl).port;
  const serversFirst = serviceCpu(redisPort);
  const machineFirst = machineJiffies();
  const startedAt = Date.now();
  // Info level for the stage timeline (a few lines each: no per-event logging at info).
  const env = { LOG_LEVEL: process.env.BENCH_SNAPSHOT_LOG_LEVEL ?? 'info' };
  const connector = pipeline.start('connector', { env, entryArgs });
  const worker = pipeline.start('worker', { env, entryArgs });
  // Each process's start-up CPU: until the connector leads, until the worker has started its partitions.
  const startUp = {
    connector: cpuWhenLogged(connector, `"msg":"${STAGES[0][1]}"`),
    worker: cpuWhenLogged(worker, `"msg":"${STAGES[4][1]}"`),
  };
  try {
    const target = await pipeline.sourceLsn();
    await pipeline.waitForLog(target, 1_800_000);
    const logged = await logEntries(pipeline.redis, pipeline.keys, partitions);
    if (logged < rows) {
      return {
        id: 4,
        name,
        figures: [],
        setup,
        notes: [],
        error: `the log holds ${logged} events after the connector confirmed the slot, for ${rows} pre-existing rows`,
      };
    }
    const snapshotLoggedAt = seconds(startedAt);
    // Overlap: what the worker had already written while the snapshot was being read.
    const indexedWhenLogged = (await indexingOps(ctx.esUrl, index)).indexed;
    await waitSinkAtEnds(pipeline, 'snap', partitions, [connector, worker], {
      what: 'the sink to settle',
      timeoutMs: 1_800_000,
      intervalMs: 20,
    });
    const elapsed = seconds(startedAt);
    // CPU since each process started (module loading included: a cold start is part of this figure)
    const connectorCpu = cpuMicros(connector.pid) ?? 0;
    const workerCpu = cpuMicros(worker.pid) ?? 0;
    const serverCpuPerDoc = perDocument(serversFirst, serviceCpu(redisPort), rows);
    const machine = machineJiffies();
    const idlePct = round((100 * (machine.idle - machineFirst.idle)) / Math.max(1, machine.total - machineFirst.total));
    // What the run's processes cost together per document, and the rate the machine's cores allow at that cost.
    const allPerDoc =
      Math.round((connectorCpu + workerCpu) / rows) +
      (serverCpuPerDoc.elasticsearch ?? 0) +
      (serverCpuPerDoc.redis ?? 0) +
      (serverCpuPerDoc.postgres ?? 0);
    // As the process logged it with the line (cpuMs); a build that does not log it: read from /proc when the line appeared.
    const startUpMs = async (which: keyof typeof startUp, output: string, stage: number) =>
      loggedNumber(output, STAGES[stage][1], 'cpuMs') ?? Math.round(((await startUp[which].cpu) ?? 0) / 1000);
    const connectorStartCpu = await startUpMs('connector', connector.output, 0);
    const workerStartCpu = await startUpMs('worker', worker.output, 4);
    await fetch(`${ctx.esUrl}/${index}/_refresh`, { method: 'POST' });
    const count = ((await (await fetch(`${ctx.esUrl}/${index}/_count`)).json()) as { count: number }).count;
    const ops = await indexingOps(ctx.esUrl, index);
    // The parallelism the connector's initial snapshot used (its record, written when it finished).
    const snapshotRecord = await pipeline.redis.hgetall(pipeline.keys.initialSnapshot());
    const messages = STAGES.map((s) => s[1]);
    const stageTimes = {
      connector: logTimeline(connector.output, messages, startedAt),
      worker: logTimeline(worker.output, messages, startedAt),
    };
    const stages = STAGES.flatMap(([role, message, label]) => {
      const at = stageTimes[role].get(message);
      return at === undefined ? [] : [{ label: `at: ${label}`, value: round(at), unit: 's' }];
    });
    return {
      id: 4,
      name,
      figures: [
        { label: 'docs/s (settled, incl. process start)', value: perSecond(rows, elapsed), unit: 'docs/s' },
        { label: 'total time (settled)', value: round(elapsed), unit: 's' },
        { label: 'snapshot in the log after', value: round(snapshotLoggedAt), unit: 's' },
        { label: 'sink settled after the snapshot was logged', value: round(elapsed - snapshotLoggedAt), unit: 's' },
        ...stages,
        { label: 'documents written when the snapshot was logged', value: indexedWhenLogged, unit: 'docs' },
        { label: 'writes per document', value: count ? round((ops.indexed + ops.failed) / count) : 0, unit: '×' },
        {
          label: 'snapshot read by connections (key ranges)',
          value: Number(snapshotRecord.connections ?? 0),
          unit: `connections (${snapshotRecord.ranges ?? '?'} ranges)`,
        },
        { label: 'connector CPU per document (incl. start)', value: Math.round(connectorCpu / rows), unit: 'µs/doc' },
        { label: 'worker CPU per document (incl. start)', value: Math.round(workerCpu / rows), unit: 'µs/doc' },
        { label: 'connector CPU until leading (start-up)', value: connectorStartCpu, unit: 'ms' },
        { label: 'worker CPU until started (start-up)', value: workerStartCpu, unit: 'ms' },
        {
          label: 'worker CPU per document after start-up',
          value: Math.round((workerCpu - workerStartCpu * 1000) / rows),
          unit: 'µs/doc',
        },
        ...serverFigures(serverCpuPerDoc),
        { label: 'CPU per document, every process above together', value: allPerDoc, unit: 'µs/doc' },
        {
          label: `at that CPU, ${cpus().length} cores allow at most`,
          value: allPerDoc ? Math.round((cpus().length * 1_000_000) / allPerDoc) : 0,
          unit: 'docs/s',
        },
        { label: 'machine idle during the run (all cores, others included)', value: idlePct, unit: '%' },
        ...bulkFigures(ops, rows),
      ],
      setup,
      notes: [
        'timed from starting connector + worker (both cold) until every sink position is at the log end',
        `connector and worker: ${entry.describe} (BENCH_CONNECTOR=tsx: the sources under tsx)`,
      ],
      ...(count !== rows ? { error: `index holds ${count} documents for ${rows} rows when settled` } : {}),
    };
  } finally {
    startUp.connector.stop();
    startUp.worker.stop();
    await pipeline.stopAll();
  }
}
