import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { CompactionStatus } from '@distributary/admin-contract';
import { MAINTENANCE_QUEUE, type LogMaintenanceReport } from '@distributary/changelog';
import { createLogger } from '@distributary/observability';
import { PipelineConnections } from './pipeline-connections';
import { PipelineStatus } from './pipeline-status';

/** The log's retention: its state, the last runs, and a run on demand. */
@Injectable()
export class CompactionAdmin implements OnModuleDestroy {
  private readonly logger = createLogger('admin');
  private lastRun: CompactionStatus['lastRun'] = null;
  private maintenanceQueue: Queue | undefined;

  constructor(
    @Inject(PipelineConnections) private readonly connections: PipelineConnections,
    @Inject(PipelineStatus) private readonly status: PipelineStatus,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.maintenanceQueue?.close();
  }

  async state(): Promise<CompactionStatus> {
    const partitions = await this.status.partitions();
    return {
      policy: this.connections.config.log.retention,
      entries: partitions.reduce((n, p) => n + p.length, 0),
      memoryBytes: partitions.reduce((n, p) => n + (p.memoryBytes ?? 0), 0),
      partitions: partitions.map((p) => ({ partition: p.partition, length: p.length, memoryBytes: p.memoryBytes })),
      lastRun: this.lastRun,
      lastScheduledRun: await this.lastScheduledRun(),
    };
  }

  /** Runs the configured retention now (never past a sink's committed position). */
  async run(): Promise<LogMaintenanceReport> {
    const { log, config } = this.connections;
    const { mode, tombstones, minLag, maxAge } = config.log.retention;
    const report = await log.compaction.maintain(
      { mode, tombstones, minLag, maxAge },
      { sinks: config.sinks.map((s) => s.name), logger: this.logger },
    );
    this.lastRun = { at: new Date().toISOString(), report };
    return report;
  }

  /** The newest completed run of the workers' BullMQ maintenance job, if any. */
  private async lastScheduledRun(): Promise<CompactionStatus['lastScheduledRun']> {
    const { redis, keys } = this.connections;
    this.maintenanceQueue ??= new Queue(MAINTENANCE_QUEUE, { connection: redis, prefix: keys.jobsPrefix() });
    const [job] = await this.maintenanceQueue.getJobs(['completed'], 0, 0, false);
    if (!job) return null;
    return { at: new Date(job.finishedOn ?? job.timestamp).toISOString(), report: job.returnvalue as unknown };
  }
}
