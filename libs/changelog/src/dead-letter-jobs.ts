import { Queue, Worker, type Job } from 'bullmq';
import type { Sink } from '@distributary/core';
import { silentLogger, type Logger } from '@distributary/observability';
import { replayDeadLetters, type DeadLetterReplayResult } from './dead-letters';
import type { LogKeys } from './keys';
import type { RedisClient } from './redis-connection';

export const DEAD_LETTER_QUEUE = 'dead-letter-replay';

export interface DeadLetterReplayRequest {
  sink: string;
  /** Dead-letter IDs to replay; all when omitted. */
  ids?: string[];
}

/**
 * Dead-letter replays for processes that do not run the sink (admin API, CLI): the request is a
 * BullMQ job in the log Redis, and a sink worker running that sink applies it (startWorker).
 */
export class DeadLetterReplays {
  readonly queue: Queue<DeadLetterReplayRequest, DeadLetterReplayResult>;
  private worker: Worker<DeadLetterReplayRequest, DeadLetterReplayResult> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: LogKeys,
    private readonly logger: Logger = silentLogger,
  ) {
    this.queue = new Queue(DEAD_LETTER_QUEUE, { connection: redis, prefix: keys.jobsPrefix() });
    this.queue.on('error', (error) => this.logger.warn({ err: error }, 'dead-letter replay queue error'));
  }

  async request(request: DeadLetterReplayRequest): Promise<Job<DeadLetterReplayRequest, DeadLetterReplayResult>> {
    return this.queue.add('replay', request, { removeOnComplete: 100, removeOnFail: 100 });
  }

  /** Polls the job until it finished; returns its result or throws its failure. */
  async waitForResult(
    job: Job<DeadLetterReplayRequest, DeadLetterReplayResult>,
    timeoutMs = 60_000,
  ): Promise<DeadLetterReplayResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await job.getState();
      const current = await this.queue.getJob(job.id ?? '');
      if (state === 'completed') return current?.returnvalue as DeadLetterReplayResult;
      if (state === 'failed')
        throw new Error(`dead-letter replay failed: ${current?.failedReason ?? 'unknown reason'}`);
      if (Date.now() > deadline)
        throw new Error(`dead-letter replay job ${job.id} did not finish within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Processes replay requests for the sinks this process runs (others fail with a clear reason).
   * `replay` decides how (the sink worker re-syncs the keys from the source, see
   * libs/worker/src/dead-letter-resync.test.ts); by default the events are re-applied.
   */
  startWorker(
    findSink: (name: string) => Sink | undefined,
    replay: (sink: Sink, ids: string[] | undefined) => Promise<DeadLetterReplayResult> = (sink, ids) =>
      replayDeadLetters(this.redis, this.keys, sink, ids ? { ids } : {}),
  ): void {
    if (this.worker) return;
    this.worker = new Worker<DeadLetterReplayRequest, DeadLetterReplayResult>(
      DEAD_LETTER_QUEUE,
      async (job) => {
        const sink = findSink(job.data.sink);
        if (!sink) throw new Error(`no sink named "${job.data.sink}" runs in the sink workers`);
        return replay(sink, job.data.ids);
      },
      { connection: this.redis, prefix: this.keys.jobsPrefix(), concurrency: 1 },
    );
    this.worker.on('error', (error) => this.logger.warn({ err: error }, 'dead-letter replay worker error'));
    this.worker.on('failed', (job, error) =>
      this.logger.warn({ err: error, sink: job?.data.sink }, 'dead-letter replay failed'),
    );
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
