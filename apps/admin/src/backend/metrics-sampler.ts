import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { MetricsSample } from '@distributary/admin-contract';
import { createLogger } from '@distributary/observability';
import { ADMIN_SETTINGS, type AdminSettings } from '../admin-settings';
import { MetricsHistory } from './metrics-history';
import { PipelineStatus } from './pipeline-status';

/** Samples the live numbers every interval (append rate, lag, throughput) into the metrics history. */
@Injectable()
export class MetricsSampler implements OnModuleInit, OnModuleDestroy {
  private readonly logger = createLogger('admin');
  private sampler: NodeJS.Timeout | undefined;
  private sampling = false;
  private samplingFailed = false;
  private previous: { t: number; added: number; lag: Map<string, number> } | undefined;

  constructor(
    @Inject(ADMIN_SETTINGS) private readonly settings: AdminSettings,
    @Inject(PipelineStatus) private readonly status: PipelineStatus,
    @Inject(MetricsHistory) private readonly history: MetricsHistory,
  ) {}

  onModuleInit(): void {
    this.sampler = setInterval(() => void this.sampleOnce(), this.settings.sampleIntervalMs);
    void this.sampleOnce();
  }

  onModuleDestroy(): void {
    if (this.sampler) clearInterval(this.sampler);
  }

  /** One sample of the live numbers: pushed to the 15-minute history and to SSE subscribers. */
  async sampleOnce(): Promise<MetricsSample | undefined> {
    if (this.sampling) return undefined;
    this.sampling = true;
    try {
      const partitions = await this.status.partitions();
      const [source, sinks] = await Promise.all([
        this.status.source().catch(() => null),
        this.status.sinks(partitions),
      ]);
      const t = Date.now();
      const added = partitions.reduce((sum, p) => sum + p.entriesAdded, 0);
      const previous = this.previous;
      const seconds = previous ? (t - previous.t) / 1000 : 0;
      const sample: MetricsSample = {
        t,
        retainedWalBytes: source?.retainedWalBytes ? Number(source.retainedWalBytes) : null,
        logEntries: partitions.reduce((sum, p) => sum + p.length, 0),
        appendRate: previous && seconds > 0 ? Math.max(0, (added - previous.added) / seconds) : null,
        sinks: {},
      };
      const lag = new Map<string, number>();
      for (const sink of sinks) {
        lag.set(sink.name, sink.lagEntries);
        const before = previous?.lag.get(sink.name);
        const consumed =
          previous && before !== undefined && seconds > 0
            ? Math.max(0, (added - previous.added - (sink.lagEntries - before)) / seconds)
            : null;
        sample.sinks[sink.name] = {
          lagEntries: sink.lagEntries,
          lagBytes: Number(sink.lagBytes),
          lagSeconds: sink.lagSeconds,
          throughput: consumed,
          dlqSize: sink.dlqSize,
        };
      }
      this.previous = { t, added, lag };
      this.history.push(sample);
      if (this.samplingFailed) this.logger.info('sampling the pipeline metrics again');
      this.samplingFailed = false;
      return sample;
    } catch (error) {
      // Logged once per outage, not every second.
      if (!this.samplingFailed) this.logger.warn({ err: error }, 'could not sample the pipeline metrics');
      this.samplingFailed = true;
      return undefined;
    } finally {
      this.sampling = false;
    }
  }
}
