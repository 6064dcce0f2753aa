import { Queue, Worker, type Job } from 'bullmq';
import { silentLogger, type Logger } from '@distributary/observability';
import { maintainLog, type LogMaintenanceReport, type RetentionPolicy } from './compaction';
import type { LogKeys } from './keys';
import type { RedisClient } from './redis-connection';

export const MAINTENANCE_QUEUE = 'log-maintenance';
const SCHEDULER_ID = 'log-retention';

export interface MaintenanceJobData {
  partitions?: number[];
  force?: boolean;
}

export interface MaintenanceJobsOptions {
  /** The log's Redis (single or cluster); BullMQ keys get the log's `{<ns>:jobs}` hash tag. */
  redis: RedisClient;
  keys: LogKeys;
  partitions: number;
  policy: RetentionPolicy;
  /** Configured sink names (a sink with no committed position holds retention back), or a getter. */
  sinks?: readonly string[] | (() => readonly string[]);
  logger?: Logger;
}

/**
 * Compaction / time retention as a BullMQ repeatable job in the log Redis, plus on-demand runs.
 * Any number of workers may run the processor: BullMQ hands each run to one of them.
 */
export class MaintenanceJobs {
  readonly queue: Queue<MaintenanceJobData, LogMaintenanceReport>;
  private worker: Worker<MaintenanceJobData, LogMaintenanceReport> | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: MaintenanceJobsOptions) {
    this.logger = options.logger ?? silentLogger;
    this.queue = new Queue(MAINTENANCE_QUEUE, { connection: options.redis, prefix: options.keys.jobsPrefix() });
    this.queue.on('error', (error) => this.logger.warn({ err: error }, 'log maintenance queue error'));
  }

  /** Runs the configured retention every `everyMs` (idempotent: one scheduler per log). */
  async schedule(everyMs: number): Promise<void> {
    await this.queue.upsertJobScheduler(SCHEDULER_ID, { every: everyMs }, { name: 'maintain', data: {} });
  }

  async unschedule(): Promise<void> {
    await this.queue.removeJobScheduler(SCHEDULER_ID);
  }

  /** Queues an on-demand run; returns its job (await `waitForReport` for the result). */
  async runNow(data: MaintenanceJobData = {}): Promise<Job<MaintenanceJobData, LogMaintenanceReport>> {
    return this.queue.add('maintain', data, { removeOnComplete: 100, removeOnFail: 100 });
  }

  /** Polls the job until it finished; returns its report or throws its failure. */
  async waitForReport(
    job: Job<MaintenanceJobData, LogMaintenanceReport>,
    timeoutMs = 60_000,
  ): Promise<LogMaintenanceReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await job.getState();
      if (state === 'completed') {
        const done = await this.queue.getJob(job.id ?? '');
        return done?.returnvalue as LogMaintenanceReport;
      }
      if (state === 'failed') {
        const failed = await this.queue.getJob(job.id ?? '');
        throw new Error(`log maintenance job ${job.id} failed: ${failed?.failedReason ?? 'unknown reason'}`);
      }
      if (Date.now() > deadline) throw new Error(`log maintenance job ${job.id} did not finish within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Starts processing maintenance jobs in this process. */
  startWorker(): void {
    if (this.worker) return;
    const { redis, keys, partitions, policy, sinks } = this.options;
    this.worker = new Worker<MaintenanceJobData, LogMaintenanceReport>(
      MAINTENANCE_QUEUE,
      async (job) =>
        maintainLog(redis, keys, job.data.partitions ?? partitions, policy, {
          sinks: typeof sinks === 'function' ? sinks() : sinks,
          force: job.data.force,
          logger: this.logger,
        }),
      { connection: redis, prefix: keys.jobsPrefix(), concurrency: 1 },
    );
    this.worker.on('error', (error) => this.logger.warn({ err: error }, 'log maintenance worker error'));
    this.worker.on('failed', (job, error) => this.logger.error({ err: error, job: job?.id }, 'log maintenance failed'));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
