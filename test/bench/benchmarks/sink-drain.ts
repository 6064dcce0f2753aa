import { uniqueName, waitFor } from '@distributary/testkit';
import type { FilledLog } from '../context';
import { esSink } from '../context';
import { sinkStarted } from '../../harness/sink-progress';
import { waitSinkAtEnds } from '../sink-settle';
import { seconds } from '../stopwatch';
import { indexingOps } from '../joined-table';
import { cpuMicros } from '../capture/proc-stats';
import { perDocument, serviceCpu } from '../service-cpu';
import { RoleProcess } from '../../harness/role-process';
import { roleNodeFlags } from '../../../apps/cli/src/supervisor/node-flags';

export interface DrainMeasurement {
  events: number;
  seconds: number;
  secondsWithStartup: number;
  indexedDocs: number;
  /** Index operations Elasticsearch performed per document (1 = each document written once). */
  writesPerDoc: number;
  /** CPU time (user + system) of the worker processes from the first committed position until settled. */
  workerCpuMicros: number;
  /** The same of the servers (Elasticsearch, log Redis, PostgreSQL), per document (service-cpu.ts). */
  serverCpuPerDoc: Record<string, number | undefined>;
  /** The index's bulk requests and Elasticsearch's indexing time (joined-table.ts bulkFigures). */
  bulk: { indexed: number; bulkRequests: number; indexMillis: number };
}

export interface DrainOptions {
  /** The sink's config (default: the plain docs sink). */
  sink?: (name: string, index: string) => Record<string, unknown>;
}

let drains = 0;

/**
 * Starts `workers` sink workers running one fresh Elasticsearch sink (`<baseName>-<n>`) over the pre-filled log and
 * times it from its first committed position to every partition's end (settled: every position at
 * the log's end); then counts the documents and the index operations per document.
 */
export async function measureEsDrain(
  log: FilledLog,
  esUrl: string,
  baseName: string,
  workers: number,
  options: DrainOptions = {},
): Promise<DrainMeasurement> {
  const { pipeline } = log;
  const partitions = pipeline.spec.partitions;
  // a sink of its own per drain: the log is shared (the context fills it once) and a sink that already
  // drained it would start at its end (`--repeat` runs figure 3 again over the same log)
  const sinkName = `${baseName}-${++drains}`;
  const index = uniqueName(sinkName).replace(/_/g, '-');
  const configFile = pipeline.variant(sinkName, [(options.sink ?? esSink)(sinkName, index)]);
  const startedAt = Date.now();
  // BENCH_ES_CPU_PROFILE=<dir>: the workers run under `node --cpu-prof` (a profile each, written at exit)
  const profileDir = process.env.BENCH_ES_CPU_PROFILE;
  const processes = Array.from({ length: workers }, (_, i) =>
    profileDir
      ? new RoleProcess('worker', configFile, `worker-prof#${i}`, {}, undefined, [
          ...roleNodeFlags('worker', (process.env.NODE_OPTIONS ?? '').split(/\s+/)),
          '--cpu-prof',
          `--cpu-prof-dir=${profileDir}`,
        ])
      : pipeline.start('worker', { configFile }),
  );
  try {
    await waitFor(
      `${sinkName} to commit its first position`,
      async () => {
        processes.forEach((p) => p.assertAlive());
        return sinkStarted(pipeline.redis, pipeline.keys, sinkName, partitions);
      },
      { timeoutMs: 120_000, intervalMs: 5 },
    );
    const firstAt = Date.now();
    const cpuAt = (): number => processes.reduce((sum, p) => sum + (cpuMicros(p.pid) ?? 0), 0);
    const cpuFirst = cpuAt();
    const redisPort = new URL(log.pipeline.spec.logRedisUrl).port;
    const serversFirst = serviceCpu(redisPort);
    await waitSinkAtEnds(pipeline, sinkName, partitions, processes, {
      what: `${sinkName} to drain the log`,
      timeoutMs: 1_800_000,
      intervalMs: 10,
      ends: log.ends,
    });
    const doneAt = Date.now();
    const workerCpuMicros = cpuAt() - cpuFirst;
    const serverCpuPerDoc = perDocument(serversFirst, serviceCpu(redisPort), log.documents);
    await fetch(`${esUrl}/${index}/_refresh`, { method: 'POST' });
    const count = (await (await fetch(`${esUrl}/${index}/_count`)).json()) as { count: number };
    const ops = await indexingOps(esUrl, index);
    return {
      writesPerDoc: count.count > 0 ? Math.round(((ops.indexed + ops.failed) / count.count) * 100) / 100 : 0,
      events: log.events,
      seconds: seconds(firstAt, doneAt),
      secondsWithStartup: seconds(startedAt, doneAt),
      indexedDocs: count.count,
      workerCpuMicros,
      serverCpuPerDoc,
      bulk: ops,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await fetch(`${esUrl}/${index}_v*`, { method: 'DELETE' }).catch(() => undefined);
  }
}
