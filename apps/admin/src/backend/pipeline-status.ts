import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { WorkerStatus } from '@distributary/changelog';
import { redactConfig, sinkKind } from '@distributary/config';
import { readGatewayStatuses, type GatewayStatus } from '@distributary/gateway';
import { readFanOutStatus } from '@distributary/sink-elasticsearch';
import type { PartitionSummary, SinkState, SourceStatus } from '@distributary/admin-contract';
import { readPartitionStats, readSinkPartitionLag, sinksWithPositions } from './log-stats';
import { MetricsHistory } from './metrics-history';
import { PipelineConnections } from './pipeline-connections';
import { attachSourceLag } from './slot-lag';
import { readSourceStatus } from './source-status';

/** What the pipeline looks like now: source slot, log partitions, sinks with their lag, live workers and
 *  gateways. Read-only, straight from Redis and Postgres. */
@Injectable()
export class PipelineStatus {
  constructor(
    @Inject(PipelineConnections) private readonly connections: PipelineConnections,
    @Inject(MetricsHistory) private readonly history: MetricsHistory,
  ) {}

  source(): Promise<SourceStatus> {
    const { pool, redis, keys, config } = this.connections;
    return readSourceStatus(pool, config.source.postgres.slot, redis, keys, config.source.slotWarnAt);
  }

  partitions(): Promise<PartitionSummary[]> {
    const { log, partitionCount } = this.connections;
    return Promise.all(Array.from({ length: partitionCount }, (_, n) => readPartitionStats(log, n)));
  }

  async sinkNames(): Promise<string[]> {
    const { redis, keys, partitionCount, config } = this.connections;
    const configured = config.sinks.map((s) => s.name);
    const seen = await sinksWithPositions(redis, keys, partitionCount);
    return [...configured, ...seen.filter((name) => !configured.includes(name)).sort()];
  }

  /** 404 unless the sink is configured or has committed positions. */
  async requireSink(name: string): Promise<void> {
    if (!(await this.sinkNames()).includes(name)) throw new NotFoundException(`no sink named "${name}"`);
  }

  async sinks(partitions?: PartitionSummary[]): Promise<SinkState[]> {
    const stats = partitions ?? (await this.partitions());
    const [names, paused, workers] = await Promise.all([
      this.sinkNames(),
      this.connections.log.sinks.paused(),
      this.workers(),
    ]);
    const states = await Promise.all(names.map((name) => this.sinkState(name, stats, paused, workers)));
    return attachSourceLag(states, () => this.source(), this.connections.config);
  }

  async sink(name: string): Promise<SinkState> {
    await this.requireSink(name);
    const [stats, paused, workers] = await Promise.all([
      this.partitions(),
      this.connections.log.sinks.paused(),
      this.workers(),
    ]);
    const state = await this.sinkState(name, stats, paused, workers);
    return (await attachSourceLag([state], () => this.source(), this.connections.config))[0];
  }

  workers(): Promise<WorkerStatus[]> {
    return this.connections.log.sinks.workerStatuses();
  }

  /** Live subscription gateways (their published status; none when the gateway role does not run). */
  gateways(): Promise<GatewayStatus[]> {
    return readGatewayStatuses(this.connections.redis, this.connections.keys);
  }

  redactedConfig(): unknown {
    return redactConfig(this.connections.config);
  }

  private async sinkState(
    name: string,
    stats: PartitionSummary[],
    paused: string[],
    workers: WorkerStatus[],
  ): Promise<SinkState> {
    const { redis, keys, log, config } = this.connections;
    const now = Date.now();
    const [lags, dlqSize] = await Promise.all([
      Promise.all(stats.map((p) => readSinkPartitionLag(redis, keys, p, name, now))),
      log.deadLetters.count(name),
    ]);
    const configured = config.sinks.find((s) => s.name === name);
    const kind = configured ? sinkKind(configured) : 'unknown';
    const fanOut = kind === 'elasticsearch' ? await readFanOutStatus(redis, keys.namespace, name) : undefined;
    const seconds = lags.map((l) => l.lagSeconds).filter((s): s is number => s !== null);
    const owned = workers.flatMap((w) => w.owned).filter((o) => o.sink === name);
    return {
      name,
      kind,
      lagEntries: lags.reduce((sum, l) => sum + l.lagEntries, 0),
      lagCapped: lags.some((l) => l.lagCapped),
      lagBytes: lags.reduce((max, l) => (BigInt(l.lagBytes) > max ? BigInt(l.lagBytes) : max), 0n).toString(),
      lagSeconds: seconds.length ? Math.max(...seconds) : null,
      throughput: this.history.last()?.sinks[name]?.throughput ?? null,
      errors: owned.filter((o) => o.state === 'retrying').length,
      degraded: owned
        .filter((o) => o.degraded && o.retrying)
        .map(
          (o) =>
            `partition ${o.partition}: ${o.retrying?.step} failing since ${o.retrying?.since}: ${o.retrying?.error}`,
        ),
      dlqSize,
      paused: paused.includes(name),
      partitions: lags,
      ...(fanOut ? { fanOut } : {}),
    };
  }
}
