import { LogKeys, connectRedis, sinkPositions, type MaintenanceJobs } from '@distributary/changelog';
import { deleteNamespace, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import type { SinkWorkerOptions } from '../worker-options';
import { appendEvents, makeEvent } from './append-events';
import { RecordingSink, appliedRecords } from './recording-sink';

/** A started sink worker, however it was started (NestJS module, startSinkWorker). */
export interface StartedWorker {
  maintenance: MaintenanceJobs | null;
  stop(): Promise<void>;
}

/** What a worker's life showed (the test asserts it). */
export interface WorkerLifecycle {
  /** The on-demand maintenance run's mode. */
  maintenanceMode: string;
  /** The partition's entries after it (the superseded version compacted away: 1). */
  entriesAfterMaintenance: number;
  sinkOpenAfterStop: boolean;
  leaseAfterStop: boolean;
}

/**
 * What a healthy worker's life shows: the scheduler runs a first maintenance pass at once, and with an
 * on-demand run on top the superseded version is gone; after the stop the sink is closed, the lease free.
 */
export const HEALTHY_LIFECYCLE: WorkerLifecycle = {
  maintenanceMode: 'compact',
  entriesAfterMaintenance: 1,
  sinkOpenAfterStop: false,
  leaseAfterStop: false,
};

/**
 * One worker's whole life, on the real Redis: started by `start`, it applies two events and commits
 * their position (waited for), its maintenance jobs compact the log on demand, then it stops; the
 * worker's connection must end (waited for).
 */
export async function runWorkerLifecycle(
  label: string,
  start: (options: SinkWorkerOptions) => Promise<StartedWorker>,
): Promise<WorkerLifecycle> {
  const namespace = uniqueName(label);
  const keys = new LogKeys(namespace);
  const redis = connectRedis({ url: redisUrl() });
  try {
    const prefix = `{${namespace}:rec}`;
    const workerRedis = connectRedis({ url: redisUrl() });
    const name = `${label}-sink`;
    const sink = new RecordingSink({ name, tables: ['public.items'], redis, prefix, worker: label });
    const worker = await start({
      redis: workerRedis,
      namespace,
      partitions: 1,
      sinks: async () => [sink],
      blockMs: 100,
      maintenance: { policy: { mode: 'compact', minLag: 0, tombstones: 0, maxAge: 0 }, everyMs: 60_000 },
    });
    const events = [makeEvent('public.items', 1), makeEvent('public.items', 1, 'u')];
    await appendEvents(redis, keys, 1, events);
    await waitFor('both events applied', async () => (await appliedRecords(redis, prefix, 0)).length === 2);
    await waitFor(
      'the position committed',
      async () => (await sinkPositions(redis, keys, name, 1)).get(0) === `${events[1].pos.lsn}-0`,
    );
    const jobs = worker.maintenance!;
    const report = await jobs.waitForReport(await jobs.runNow());
    const entriesAfterMaintenance = await redis.xlen(keys.partition(0));
    await jobs.unschedule();
    await jobs.queue.obliterate({ force: true });
    await worker.stop();
    const leaseAfterStop = (await redis.exists(keys.lease(0, name))) === 1;
    // disconnect() ends the connection on a later tick
    await waitFor('the worker connection closed', async () => workerRedis.status === 'end');
    return { maintenanceMode: report.mode, entriesAfterMaintenance, sinkOpenAfterStop: sink.opened, leaseAfterStop };
  } finally {
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  }
}
