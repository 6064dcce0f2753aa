import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { DistributaryConfig } from '@distributary/config';
import { LogKeys, type RedisClient } from '@distributary/changelog';
import { silentLogger, type Logger } from '@distributary/observability';
import { verifyAndRepair } from './repair/repair-sink';
import { storeVerifyResult, type StoredVerifyResult } from './results';
import { errorResult, verifySink, type VerifyMode } from './verify-sink';

export const VERIFY_QUEUE = 'verify';
const SCHEDULER_ID = 'verify-scheduled';

export interface VerifyJobData {
  sinks?: string[];
  repair?: boolean;
  mode?: VerifyMode;
  sampleSize?: number;
  reason?: string;
}

export interface VerifyJobsOptions {
  config: DistributaryConfig;
  /** A connection for BullMQ (its own: the worker blocks on it). */
  redis: RedisClient;
  logger?: Logger;
}

/**
 * Scheduled and on-demand verification as BullMQ jobs in the log Redis (prefix keys.jobsPrefix(), one
 * hash tag, so it works on a cluster). `verify.every` > 0 upserts one repeatable scheduler per log
 * (idempotent, whichever process starts first); any process running the worker takes the runs, one at a
 * time. Every result is stored in keys.verifyResults() (the admin API reads it) and exported as metrics.
 */
export class VerifyJobs {
  readonly queue: Queue<VerifyJobData, StoredVerifyResult[]>;
  private worker: Worker<VerifyJobData, StoredVerifyResult[]> | undefined;
  private readonly keys: LogKeys;
  private readonly logger: Logger;

  constructor(private readonly options: VerifyJobsOptions) {
    this.keys = new LogKeys(options.config.log.namespace);
    this.logger = options.logger ?? silentLogger;
    this.queue = new Queue(VERIFY_QUEUE, { connection: this.connection(), prefix: this.keys.jobsPrefix() });
    this.queue.on('error', (error) => this.logger.warn({ err: error }, 'verify queue error'));
  }

  private connection(): ConnectionOptions {
    return this.options.redis as unknown as ConnectionOptions;
  }

  /** Applies `verify.every` (0 removes the scheduler). */
  async schedule(): Promise<void> {
    const { every, mode, sampleSize } = this.options.config.verify;
    if (every > 0) {
      await this.queue.upsertJobScheduler(
        SCHEDULER_ID,
        { every },
        {
          name: 'verify',
          data: { mode, sampleSize, reason: 'scheduled' },
          opts: { removeOnComplete: 20, removeOnFail: 20 },
        },
      );
    } else {
      await this.queue.removeJobScheduler(SCHEDULER_ID);
    }
  }

  async runNow(data: VerifyJobData): Promise<Job<VerifyJobData, StoredVerifyResult[]>> {
    const unknown = (data.sinks ?? []).filter((name) => !this.options.config.sinks.some((s) => s.name === name));
    if (unknown.length) throw new Error(`unknown sink(s): ${unknown.join(', ')}`);
    return this.queue.add('verify', { reason: 'on demand', ...data }, { removeOnComplete: 20, removeOnFail: 20 });
  }

  startWorker(): void {
    if (this.worker) return;
    this.worker = new Worker<VerifyJobData, StoredVerifyResult[]>(VERIFY_QUEUE, async (job) => this.process(job.data), {
      connection: this.connection(),
      prefix: this.keys.jobsPrefix(),
      concurrency: 1,
      lockDuration: 120_000,
    });
    this.worker.on('error', (error) => this.logger.warn({ err: error }, 'verify worker error'));
    this.worker.on('failed', (job, error) => this.logger.error({ err: error, job: job?.id }, 'verification failed'));
  }

  /** Verifies (and with `repair`, repairs) the requested sinks; stores and returns the results. */
  async process(data: VerifyJobData): Promise<StoredVerifyResult[]> {
    const { config, redis } = this.options;
    const sinks = config.sinks.filter((s) => !data.sinks?.length || data.sinks.includes(s.name));
    const options = {
      mode: data.mode ?? config.verify.mode,
      sampleSize: data.sampleSize ?? config.verify.sampleSize,
      timeoutMs: config.verify.timeout,
    };
    const results: StoredVerifyResult[] = [];
    for (const sink of sinks) {
      let stored: StoredVerifyResult;
      if (data.repair) {
        try {
          const outcome = await verifyAndRepair(config, sink, { redis }, options);
          stored = { ...outcome.before, repair: outcome.repair, afterRepair: outcome.after };
        } catch (error) {
          stored = errorResult(sink, options, error);
        }
      } else {
        stored = await verifySink(config, sink, { redis }, options);
      }
      await storeVerifyResult(redis, this.keys, stored);
      this.logger.info(
        {
          sink: sink.name,
          status: stored.status,
          missing: stored.missingCount,
          extra: stored.extraCount,
          different: stored.differentCount,
        },
        'verified sink',
      );
      results.push(stored);
    }
    return results;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
