import { MaintenanceJobs } from '@distributary/changelog';
import { createLogger } from '@distributary/observability';
import { SinkRunner } from './sink-runner';
import type { SinkWorkerOptions } from './worker-options';

/** One sink worker: its runner and, when configured, the log's maintenance job processor. */
export interface SinkWorkerParts {
  options: SinkWorkerOptions;
  runner: SinkRunner;
  maintenance: MaintenanceJobs | null;
}

export function sinkRunnerOf(options: SinkWorkerOptions): SinkRunner {
  return new SinkRunner({ ...options, logger: options.logger ?? createLogger('sink-worker') });
}

export function maintenanceJobsOf(options: SinkWorkerOptions, runner: SinkRunner): MaintenanceJobs | null {
  return options.maintenance
    ? new MaintenanceJobs({
        redis: options.redis,
        keys: runner.keys,
        partitions: options.partitions,
        policy: options.maintenance.policy,
        sinks: () => runner.sinkNames(),
        logger: options.logger ?? createLogger('log-maintenance'),
      })
    : null;
}

/** Starts the runner, then the maintenance jobs. If the runner does not start, lets go of every connection. */
export async function startSinkWorkerParts({ options, runner, maintenance }: SinkWorkerParts): Promise<void> {
  try {
    await runner.start();
  } catch (error) {
    // the worker does not start (the runner logged why): let go of its connections so the process ends
    await maintenance?.close().catch(() => undefined);
    options.redis.disconnect();
    throw error;
  }
  if (maintenance && options.maintenance) {
    await maintenance.schedule(options.maintenance.everyMs);
    maintenance.startWorker();
  }
}

/** Graceful stop: the maintenance jobs, then the runner (finishes its batches, releases its leases). */
export async function stopSinkWorkerParts({ options, runner, maintenance }: SinkWorkerParts): Promise<void> {
  await maintenance?.close();
  await runner.stop();
  options.redis.disconnect();
}

/**
 * A sink worker in this process without a DI container (the `worker` role of `distributary run`):
 * what apps/sink-worker's NestJS module does around the same parts, without loading NestJS (~575
 * modules, a third of the worker's, before its first event).
 */
export async function startSinkWorker(
  options: SinkWorkerOptions,
): Promise<SinkWorkerParts & { stop(): Promise<void> }> {
  const runner = sinkRunnerOf(options);
  const parts = { options, runner, maintenance: maintenanceJobsOf(options, runner) };
  await startSinkWorkerParts(parts);
  return { ...parts, stop: () => stopSinkWorkerParts(parts) };
}
