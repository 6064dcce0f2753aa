import { Worker, type ConnectionOptions } from 'bullmq';
import type { Pool } from 'pg';
import type { ChangeEvent, Lsn } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import { gauge, silentLogger, type Logger } from '@distributary/observability';
import type { TypeResolver } from '@distributary/pg-catalog';
import type { WatermarkMessage } from '@distributary/pg-protocol';
import { DurableLsn, IncrementalSnapshotRunner, WatermarkWindow } from '@distributary/pg-snapshot';
import { SNAPSHOT_QUEUE, enqueue } from './snapshot-jobs';
import { SnapshotRequests } from './snapshot-requests';

const snapshotRows = gauge('distributary_snapshot_rows_done', 'Rows appended by a snapshot', ['snapshot', 'table']);
const snapshotTotal = gauge('distributary_snapshot_rows_estimated', 'Estimated rows of a snapshot', [
  'snapshot',
  'table',
]);

/**
 * Lives in the active connector: feeds the watermark window from the stream and runs queued
 * snapshots (BullMQ worker, one at a time). The connector calls observe() for every data event,
 * onWatermark() for every snapshot watermark (appending what it returns at that position) and
 * durableThrough() after every durable append.
 */
export class SnapshotCoordinator {
  readonly window = new WatermarkWindow();
  readonly durable = new DurableLsn();
  private worker?: Worker;
  private readonly stopping = new AbortController();
  private readonly runner: IncrementalSnapshotRunner;
  private readonly requests: SnapshotRequests;
  private readonly logger: Logger;

  constructor(
    private readonly options: {
      redis: RedisClient;
      keys: LogKeys;
      pool: Pool;
      types: TypeResolver;
      logger?: Logger;
      watermarkTimeoutMs?: number;
    },
  ) {
    this.logger = options.logger ?? silentLogger;
    this.requests = new SnapshotRequests(options.redis, options.keys);
    this.runner = new IncrementalSnapshotRunner({
      pool: options.pool,
      types: options.types,
      window: this.window,
      durable: this.durable,
      requests: this.requests,
      logger: this.logger,
      watermarkTimeoutMs: options.watermarkTimeoutMs,
      signal: this.stopping.signal,
    });
  }

  observe(event: ChangeEvent): void {
    this.window.observe(event);
  }

  onWatermark(watermark: WatermarkMessage, lsn: Lsn): ChangeEvent[] {
    return this.window.onWatermark(watermark, lsn);
  }

  durableThrough(lsn: Lsn): void {
    this.durable.advance(lsn);
  }

  /** Starts taking snapshot jobs; snapshots left running by a dead connector are queued again. */
  async start(): Promise<void> {
    this.worker = new Worker(SNAPSHOT_QUEUE, async (job) => this.runOne(String(job.data.id)), {
      connection: this.options.redis as unknown as ConnectionOptions,
      prefix: this.options.keys.jobsPrefix(),
      concurrency: 1,
      lockDuration: 60_000,
    });
    this.worker.on('failed', (job, error) => this.logger.error({ job: job?.data, err: error }, 'snapshot job failed'));
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'snapshot worker error'));
    this.logger.info('snapshot jobs: worker started');
    for (const record of await this.requests.list(200)) {
      if (record.status === 'running') await enqueue(this.options.redis, this.options.keys, record.id);
    }
  }

  async runOne(id: string): Promise<string> {
    const record = await this.requests.get(id);
    if (!record) return 'missing';
    const outcome = await this.runner.run(id);
    const final = await this.requests.get(id);
    if (final) {
      snapshotRows.set({ snapshot: id, table: final.table }, final.rowsDone);
      snapshotTotal.set({ snapshot: id, table: final.table }, final.estimatedTotal);
    }
    return outcome;
  }

  /** Interrupts a snapshot in flight (it stays 'running' and resumes under the next leader). */
  async stop(): Promise<void> {
    this.stopping.abort();
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    // Closing a worker whose blocking connection is still connecting makes BullMQ emit that
    // connection's failure after close() removed every listener: an uncaught 'error' that kills the
    // process (seen when short connector terms retry). Let it finish connecting first; the connector
    // bounds this wait while Redis is unreachable.
    await worker.waitUntilReady().catch(() => undefined);
    await worker.close();
  }
}
