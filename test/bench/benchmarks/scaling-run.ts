import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { leaseHolder } from '@distributary/changelog';
import { uniqueName, waitFor } from '@distributary/testkit';
import { repoRoot } from '../../harness/role-process';
import { sinkAtEnds, sinkStarted } from '../../harness/sink-progress';
import type { FilledLog } from '../context';
import { indexingOps, joinedEsSink } from '../joined-table';
import { round, seconds } from '../stopwatch';
import type { RoundTrips } from './round-trips';
import { WritePoolSampler, type WritePoolLoad } from './es-write-pool';
import { readCpu, stepCpu, type CpuReading, type StepCpu } from './step-cpu';
import { PartitionEnds } from './partition-ends';
import { socketOwners } from './socket-owners';

/** Small requests, one in flight per worker: each round trip then costs what it would against a remote
 *  cluster, so the drain is bound by latency rather than by this machine's 2 cores.
 *  BENCH_SCALING_BULK=default: the sink's own defaults instead (1,000 documents per request, 8 in flight). */
export const BULK: { maxDocs?: number; concurrency?: number; batchesInFlight?: number } =
  process.env.BENCH_SCALING_BULK === 'default'
    ? batchesInFlight()
    : { maxDocs: 100, concurrency: 1, ...batchesInFlight() };

/** BENCH_SCALING_BATCHES_IN_FLIGHT=N: each partition keeps up to N batches in flight (the sink's
 *  `bulk.batchesInFlight`; unset: the product's default). */
function batchesInFlight(): { batchesInFlight?: number } {
  const raw = process.env.BENCH_SCALING_BATCHES_IN_FLIGHT;
  if (!raw) return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_SCALING_BATCHES_IN_FLIGHT=${raw}: expected a count`);
  return { batchesInFlight: n };
}
const STEADY_POLL_MS = 50;
/** After settling, the workers stay up this long with nothing to do: their CPU then is the per-second cost of a worker. */
const IDLE_MS = 5000;
/** Each run's worker logs (LOG_LEVEL info: leases, joins, opens, retries) are kept here, one file per process. */
export const SCALING_LOG_DIR = join(repoRoot, 'test-artifacts', 'bench-scaling');

export interface ScalingRun {
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
  /** Bulk requests in the steady window (one shard: one per request). */
  steadyRequests: number;
  /** Where the CPU went in the steady window, and the machine's idle share. */
  steadyCpu: StepCpu | undefined;
  /** Each worker process's CPU (s) from its start until every worker owned its share (start-up included). */
  startCpu: number[];
  /** Per request in the steady window: Elasticsearch's own time and the proxy's timer lateness (ms). */
  steadyTrips: ReturnType<RoundTrips['end']> | undefined;
  /** Machine idle share (%) from the processes' start to the first committed position. */
  startIdlePct: number;
  /** Elasticsearch's write thread pool in the steady window (busy threads, queued requests). */
  writePool: WritePoolLoad | undefined;
  /** Per worker, its measured turnaround in the steady window (bulk reply reaching it → its next bulk request). */
  turnarounds: ReturnType<RoundTrips['turnarounds']>;
  /** In the steady window (s from its start): when each worker's last partition reached its end of the log,
   *  earliest worker first; and the end of the window (the fan-out backlog written after the last). */
  workerEnds: number[];
  /** Each worker's CPU per second (ms/s) in IDLE_MS after settling: leases, membership, status, timers. */
  idleCpuMsPerSecond: number[];
  /** Where the workers' logs of this run are kept (a glob). */
  logs: string;
}

/** `workers` workers over the log; times start-up, joining, hand-over and the steady window. */
export async function scalingRun(
  log: FilledLog,
  esUrl: string,
  proxyUrl: string,
  workers: number,
  redisPort: string,
  trips: RoundTrips,
  latencyMs: number,
  /** What runs `distributary` (the compiled CLI, as production runs it); undefined: the sources under tsx. */
  workerEntry: string[] | undefined,
): Promise<ScalingRun> {
  const { pipeline } = log;
  const partitions = pipeline.spec.partitions;
  // a sink of its own per series: the quick preset runs both latencies over the same log
  const name = `bench-w${workers}-${latencyMs}ms`;
  const index = uniqueName(name).replace(/_/g, '-');
  const sink = joinedEsSink(name, index, proxyUrl);
  const configFile = pipeline.variant(name, [
    { ...sink, elasticsearch: { ...(sink.elasticsearch as object), bulk: BULK } },
  ]);
  const startedAt = Date.now();
  const env = { LOG_LEVEL: process.env.BENCH_SCALING_LOG_LEVEL ?? 'info' };
  // BENCH_SCALING_CPU_PROFILE=<dir>: the workers run under `node --cpu-prof` (a profile each, written at exit)
  const profileDir = process.env.BENCH_SCALING_CPU_PROFILE;
  const entryArgs = [
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ...(workerEntry ?? ['--import', 'tsx', resolve(repoRoot, 'test/harness/run-role.ts')]),
  ];
  const processes = Array.from({ length: workers }, () => pipeline.start('worker', { configFile, env, entryArgs }));
  const cpuNow = (): CpuReading =>
    readCpu(
      processes.map((p) => p.pid),
      redisPort,
    );
  const cpuAtStart = cpuNow();
  let cpuAtFirst: CpuReading | undefined;
  let cpuAtOwned: CpuReading | undefined;
  let firstAt = 0;
  let membersAt = 0;
  let ownedAt = 0;
  let opsAtOwned = 0;
  let requestsAtOwned = 0;
  let checkedAt = 0;
  const writePool = new WritePoolSampler(esUrl);
  const partitionEnds = new PartitionEnds(pipeline.redis, pipeline.keys, partitions, name, log.ends);
  const holderOf = new Map<number, string>();
  // per partition during the hand-over: the holder when every worker had joined, when it let go, when taken
  const moves = new Map<number, { from?: string; releasedAt?: number; acquiredAt?: number }>();
  const balanced = async (): Promise<boolean> => {
    const holders = await Promise.all(
      Array.from({ length: partitions }, (_, p) => leaseHolder(pipeline.redis, pipeline.keys, name, p)),
    );
    const now = Date.now();
    holders.forEach((holder, p) => {
      if (holder) holderOf.set(p, holder);
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
  // waitFor retries a predicate that throws until its timeout: a worker that exited ends the wait here instead
  let exited: unknown;
  try {
    await waitFor(
      `${name} to drain the log`,
      async () => {
        try {
          processes.forEach((p) => p.assertAlive());
        } catch (error) {
          exited = error;
          return true;
        }
        if (!firstAt && (await sinkStarted(pipeline.redis, pipeline.keys, name, partitions))) {
          firstAt = Date.now();
          cpuAtFirst = cpuNow();
        }
        if (!firstAt) return false;
        if (!membersAt && (await pipeline.redis.zcard(pipeline.keys.workers())) >= workers) membersAt = Date.now();
        if (membersAt && !ownedAt && (await balanced())) {
          ownedAt = Date.now();
          cpuAtOwned = cpuNow();
          trips.begin();
          writePool.start();
          const ops = await indexingOps(esUrl, index);
          opsAtOwned = ops.indexed + ops.failed;
          requestsAtOwned = ops.bulkRequests;
        }
        // in the steady window every 50 ms is enough (≤ 0.5 % of it): the bench shares the 2 cores it measures
        if (ownedAt && Date.now() - checkedAt < STEADY_POLL_MS) return false;
        checkedAt = Date.now();
        if (ownedAt) await partitionEnds.observe();
        return sinkAtEnds(pipeline.redis, pipeline.keys, name, partitions, log.ends);
      },
      { timeoutMs: 1_800_000, intervalMs: 10 },
    );
    if (exited) throw exited;
    const doneAt = Date.now();
    const cpuAtDone = cpuNow();
    const steadyTrips = ownedAt > 0 ? trips.end() : undefined;
    // which worker holds each proxied connection: read now, while their kept-alive connections are open
    const owners = socketOwners(
      processes.map((p) => p.pid),
      Number(new URL(proxyUrl).port),
    );
    const turnarounds = trips.turnarounds(owners);
    const writePoolLoad = await writePool.stop();
    const balancedInTime = ownedAt > 0;
    ownedAt ||= doneAt; // settled before every worker got its share
    membersAt ||= ownedAt;
    await fetch(`${esUrl}/${index}/_refresh`, { method: 'POST' });
    const count = (await (await fetch(`${esUrl}/${index}/_count`)).json()) as { count: number };
    const ops = await indexingOps(esUrl, index);
    const idleFrom = cpuNow();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleTo = cpuNow();
    const idleCpuMsPerSecond = idleTo.workers.map((micros, i) =>
      round((micros - idleFrom.workers[i]) / (idleTo.at - idleFrom.at), 1),
    );
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
      steadyRequests: ops.bulkRequests - requestsAtOwned,
      steadyCpu: cpuAtOwned && stepCpu(cpuAtOwned, cpuAtDone, ops.indexed + ops.failed - opsAtOwned),
      startCpu: (cpuAtOwned ?? cpuAtDone).workers.map((micros) => round(micros / 1e6)),
      startIdlePct: stepCpu(cpuAtStart, cpuAtFirst ?? cpuAtDone, 1).idlePct,
      steadyTrips,
      writePool: writePoolLoad,
      idleCpuMsPerSecond,
      turnarounds,
      workerEnds: workerEnds(partitionEnds.at, holderOf, ownedAt),
      logs: join(SCALING_LOG_DIR, `${index}.*.log`),
    };
  } finally {
    await writePool.stop();
    await Promise.all(processes.map((p) => p.stop()));
    keepLogs(index, processes);
    await fetch(`${esUrl}/${index}_v*`, { method: 'DELETE' }).catch(() => undefined);
  }
}

/** Per worker (the holder of each partition when the shares were reached), when its last partition ended (s). */
function workerEnds(at: Map<number, number>, holderOf: Map<number, string>, from: number): number[] {
  const last = new Map<string, number>();
  for (const [p, ms] of at) {
    const holder = holderOf.get(p) ?? '?';
    last.set(holder, Math.max(last.get(holder) ?? 0, ms));
  }
  return [...last.values()].map((ms) => seconds(from, ms)).sort((a, b) => a - b);
}

/** Writes each worker's output to SCALING_LOG_DIR/<index>.<n>.log, so a failing run shows why. */
function keepLogs(index: string, processes: { pid: number; output: string }[]): void {
  mkdirSync(SCALING_LOG_DIR, { recursive: true });
  processes.forEach((p, i) => writeFileSync(join(SCALING_LOG_DIR, `${index}.${i + 1}.pid${p.pid}.log`), p.output));
}
