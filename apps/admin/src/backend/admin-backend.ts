import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { Observable, Subject } from 'rxjs';
import { idToPosition, parseLsn, positionToId, SourceShapeError } from '@distributary/core';
import {
  connectRedis,
  deadLetterCount,
  dropDeadLetters,
  LogKeys,
  MAINTENANCE_QUEUE,
  maintainLog,
  pausedSinks,
  pauseSink,
  readWorkerStatuses,
  replaySinkFrom,
  resumeSink,
  type LogMaintenanceReport,
  type RedisClient,
  type WorkerStatus,
} from '@distributary/changelog';
import { readGatewayStatuses, type GatewayStatus } from '@distributary/gateway';
import { readFanOutStatus } from '@distributary/sink-elasticsearch';
import { createLogger, health } from '@distributary/observability';
import { redactConfig, sinkKind, type DistributaryConfig } from '@distributary/config';
import { ADMIN_SETTINGS, type AdminSettings } from '../admin-settings';
import { listDeadLetters } from './dead-letter-view';
import { liveTail } from './live-tail';
import { readPartitionStats, readSinkPartitionLag, sinksWithPositions } from './log-stats';
import { RingBuffer } from './ring-buffer';
import { readConnectorStatus, readSourceStatus } from './source-status';
import { connectorWaitCheck } from './connector-wait-check';
import { attachSourceLag, slotHealthChecks } from './slot-lag';
import { readSnapshots } from './snapshots';
import { SnapshotRequestError, resyncDeadLetters, snapshotControls } from '@distributary/pg-source';
import type { SnapshotControls as SnapshotControl } from './runtime';
import type {
  CompactionStatus,
  DeadLetterPage,
  MetricsSample,
  PartitionSummary,
  SinkState,
  SnapshotJob,
  SourceStatus,
  TailBatch,
} from '@distributary/admin-contract';

/**
 * The one place the admin app reads and changes pipeline state. Reads go straight to the documented
 * Redis key layout (libs/changelog keys.ts) and to Postgres (pg_replication_slots) — never invented;
 * operations that need a running worker or the snapshot machinery go through the runtime controls the
 * composer passed in, and answer 501 when there are none.
 */
const HISTORY_SECONDS = 15 * 60;

@Injectable()
export class AdminBackend implements OnModuleInit, OnModuleDestroy {
  readonly keys: LogKeys;
  readonly partitionCount: number;
  private readonly redis: RedisClient;
  private readonly pool: Pool;
  private readonly history: RingBuffer<MetricsSample>;
  private readonly samples = new Subject<MetricsSample>();
  private readonly logger = createLogger('admin');
  private sampler: NodeJS.Timeout | undefined;
  private sampling = false;
  private samplingFailed = false;
  private previous: { t: number; added: number; lag: Map<string, number> } | undefined;
  private readonly healthNames: string[] = [];
  private lastCompaction: CompactionStatus['lastRun'] = null;
  private defaultSnapshots?: SnapshotControl;
  private maintenanceQueue: Queue | undefined;

  constructor(@Inject(ADMIN_SETTINGS) private readonly settings: AdminSettings) {
    const cfg = settings.config;
    this.keys = new LogKeys(cfg.log.namespace);
    this.partitionCount = cfg.log.partitions;
    this.redis = connectRedis(cfg.log.redis, { maxRetriesPerRequest: 2, lazyConnect: false });
    this.redis.on('error', (error: Error) => this.logger.debug({ err: error }, 'log redis connection error'));
    this.pool = new Pool({ connectionString: cfg.source.postgres.url, max: 3, connectionTimeoutMillis: 3000 });
    this.pool.on('error', (error) => this.logger.debug({ err: error }, 'source postgres pool error'));
    this.history = new RingBuffer(Math.ceil((HISTORY_SECONDS * 1000) / settings.sampleIntervalMs));
  }

  onModuleInit(): void {
    const suffix = this.keys.namespace;
    const checks: [string, () => Promise<void>][] = [
      [`log-redis:${suffix}`, async () => void (await this.redis.ping())],
      [`source-postgres:${suffix}`, async () => void (await this.pool.query('SELECT 1'))],
    ];
    for (const [name, check] of checks) {
      health.register(name, check);
      this.healthNames.push(name);
    }
    // Degraded sink partitions (retrying past the workers' bound), as the workers publish them.
    health.register(`sinks:${suffix}`, () => this.degradedCheck(), { degradesOnly: true });
    this.healthNames.push(`sinks:${suffix}`);
    for (const [name, check, options] of [
      ...slotHealthChecks(suffix, () => this.source()),
      connectorWaitCheck(suffix, () => readConnectorStatus(this.redis, this.keys)),
    ]) {
      health.register(name, check, options);
      this.healthNames.push(name);
    }
    this.sampler = setInterval(() => void this.sampleOnce(), this.settings.sampleIntervalMs);
    void this.sampleOnce();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    for (const name of this.healthNames) health.unregister(name);
    this.samples.complete();
    await this.maintenanceQueue?.close();
    this.redis.disconnect();
    await this.pool.end();
  }

  get config(): DistributaryConfig {
    return this.settings.config;
  }

  // ---- reads -----------------------------------------------------------------------------------

  source(): Promise<SourceStatus> {
    const { slot } = this.config.source.postgres;
    return readSourceStatus(this.pool, slot, this.redis, this.keys, this.config.source.slotWarnAt);
  }

  partitions(): Promise<PartitionSummary[]> {
    return Promise.all(
      Array.from({ length: this.partitionCount }, (_, n) => readPartitionStats(this.redis, this.keys, n)),
    );
  }

  async sinkNames(): Promise<string[]> {
    const configured = this.config.sinks.map((s) => s.name);
    const seen = await sinksWithPositions(this.redis, this.keys, this.partitionCount);
    return [...configured, ...seen.filter((name) => !configured.includes(name)).sort()];
  }

  async sinks(partitions?: PartitionSummary[]): Promise<SinkState[]> {
    const stats = partitions ?? (await this.partitions());
    const [names, paused, workers] = await Promise.all([
      this.sinkNames(),
      pausedSinks(this.redis, this.keys),
      this.workers(),
    ]);
    const states = await Promise.all(names.map((name) => this.sinkState(name, stats, paused, workers)));
    return attachSourceLag(states, () => this.source(), this.config);
  }

  async sink(name: string): Promise<SinkState> {
    await this.requireSink(name);
    const [stats, paused, workers] = await Promise.all([
      this.partitions(),
      pausedSinks(this.redis, this.keys),
      this.workers(),
    ]);
    const state = await this.sinkState(name, stats, paused, workers);
    return (await attachSourceLag([state], () => this.source(), this.config))[0];
  }

  private async degradedCheck(): Promise<void> {
    const degraded = (await this.workers())
      .flatMap((w) => w.owned)
      .filter((o) => o.degraded && o.retrying)
      .map(
        (o) =>
          `sink ${o.sink} partition ${o.partition}: ${o.retrying?.step} failing since ${o.retrying?.since}: ${o.retrying?.error}`,
      );
    if (degraded.length > 0) throw new Error(`degraded: ${degraded.join('; ')}`);
  }

  workers(): Promise<WorkerStatus[]> {
    return readWorkerStatuses(this.redis, this.keys);
  }

  /** Live subscription gateways (their published status; none when the gateway role does not run). */
  gateways(): Promise<GatewayStatus[]> {
    return readGatewayStatuses(this.redis, this.keys);
  }

  private async sinkState(
    name: string,
    stats: PartitionSummary[],
    paused: string[],
    workers: WorkerStatus[],
  ): Promise<SinkState> {
    const now = Date.now();
    const [lags, dlqSize] = await Promise.all([
      Promise.all(stats.map((p) => readSinkPartitionLag(this.redis, this.keys, p, name, now))),
      deadLetterCount(this.redis, this.keys, name),
    ]);
    const configured = this.config.sinks.find((s) => s.name === name);
    const kind = configured ? sinkKind(configured) : 'unknown';
    const fanOut = kind === 'elasticsearch' ? await readFanOutStatus(this.redis, this.keys.namespace, name) : undefined;
    const seconds = lags.map((l) => l.lagSeconds).filter((s): s is number => s !== null);
    const last = this.history.last();
    return {
      name,
      kind,
      lagEntries: lags.reduce((sum, l) => sum + l.lagEntries, 0),
      lagCapped: lags.some((l) => l.lagCapped),
      lagBytes: lags.reduce((max, l) => (BigInt(l.lagBytes) > max ? BigInt(l.lagBytes) : max), 0n).toString(),
      lagSeconds: seconds.length ? Math.max(...seconds) : null,
      throughput: last?.sinks[name]?.throughput ?? null,
      errors: workers.flatMap((w) => w.owned).filter((o) => o.sink === name && o.state === 'retrying').length,
      degraded: workers
        .flatMap((w) => w.owned)
        .filter((o) => o.sink === name && o.degraded && o.retrying)
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

  private async requireSink(name: string): Promise<void> {
    if (!(await this.sinkNames()).includes(name)) throw new NotFoundException(`no sink named "${name}"`);
  }

  redactedConfig(): unknown {
    return redactConfig(this.config);
  }

  // ---- dead letters ------------------------------------------------------------------------------

  async deadLetters(sink: string, options: { after?: string; limit: number; full?: boolean }): Promise<DeadLetterPage> {
    await this.requireSink(sink);
    return listDeadLetters(this.redis, this.keys, sink, options);
  }

  async dropDeadLetters(sink: string, ids?: string[]): Promise<{ dropped: number }> {
    await this.requireSink(sink);
    return { dropped: await dropDeadLetters(this.redis, this.keys, sink, ids ?? 'all') };
  }

  /**
   * Re-syncs the dead-lettered keys from the source (an incremental snapshot the connector runs), never
   * the stale events: a row deleted meanwhile stays deleted. 503 when no connector picks it up.
   */
  async replayDeadLetters(name: string, ids?: string[]): Promise<{ replayed: number; failed: number }> {
    await this.requireSink(name);
    try {
      const result = await resyncDeadLetters(this.redis, this.keys, name, {
        ...(ids ? { ids } : {}),
        pickupMs: this.settings.dlqPickupMs,
      });
      return { replayed: result.replayed, failed: result.failed };
    } catch (error) {
      throw new ServiceUnavailableException(error instanceof Error ? error.message : String(error));
    }
  }

  // ---- sink control (through Redis: every worker honours the paused set and position resets) ----

  async pauseSink(name: string): Promise<{ sink: string; paused: boolean }> {
    await this.requireSink(name);
    await pauseSink(this.redis, this.keys, name);
    return { sink: name, paused: true };
  }

  async resumeSink(name: string): Promise<{ sink: string; paused: boolean }> {
    await this.requireSink(name);
    await resumeSink(this.redis, this.keys, name);
    return { sink: name, paused: false };
  }

  /** Resets the sink's committed position on every partition (the owners are fenced out and re-read). */
  async replaySink(name: string, from: string): Promise<{ sink: string; position: string }> {
    await this.requireSink(name);
    const position = replayPosition(from);
    const configured = this.config.sinks.find((s) => s.name === name);
    if (configured && 'view' in configured)
      // A view stores its own positions and cumulative state: resetting log positions would change nothing.
      throw new BadRequestException(
        `sink ${name} is a materialized view: its state is cumulative, so a position reset changes nothing; ` +
          `\`distributary replay ${name} --from start\` rebuilds it from the compacted log`,
      );
    await replaySinkFrom(this.redis, this.keys, name, this.partitionCount, position);
    return { sink: name, position: position ?? 'start' };
  }

  // ---- compaction and snapshots -------------------------------------------------------------------

  async compactionStatus(): Promise<CompactionStatus> {
    const partitions = await this.partitions();
    return {
      policy: this.config.log.retention,
      entries: partitions.reduce((n, p) => n + p.length, 0),
      memoryBytes: partitions.reduce((n, p) => n + (p.memoryBytes ?? 0), 0),
      partitions: partitions.map((p) => ({ partition: p.partition, length: p.length, memoryBytes: p.memoryBytes })),
      lastRun: this.lastCompaction,
      lastScheduledRun: await this.lastScheduledCompaction(),
    };
  }

  /** The newest completed run of the workers' BullMQ maintenance job, if any. */
  private async lastScheduledCompaction(): Promise<CompactionStatus['lastScheduledRun']> {
    this.maintenanceQueue ??= new Queue(MAINTENANCE_QUEUE, { connection: this.redis, prefix: this.keys.jobsPrefix() });
    const [job] = await this.maintenanceQueue.getJobs(['completed'], 0, 0, false);
    if (!job) return null;
    return { at: new Date(job.finishedOn ?? job.timestamp).toISOString(), report: job.returnvalue as unknown };
  }

  /** Runs the configured retention now (never past a sink's committed position). */
  async runCompaction(): Promise<LogMaintenanceReport> {
    const { mode, tombstones, minLag, maxAge } = this.config.log.retention;
    const report = await maintainLog(
      this.redis,
      this.keys,
      this.partitionCount,
      { mode, tombstones, minLag, maxAge },
      { sinks: this.config.sinks.map((s) => s.name), logger: this.logger },
    );
    this.lastCompaction = { at: new Date().toISOString(), report };
    return report;
  }

  snapshots(): Promise<SnapshotJob[]> {
    return readSnapshots(this.redis, this.keys);
  }

  /** In-process control when the composer passes one; otherwise through the log Redis (the active
   *  connector runs the snapshot jobs wherever it is). */
  private snapshotControl(): SnapshotControl {
    // With the source pool: a `where` is checked against the table's real columns before it is recorded.
    this.defaultSnapshots ??= snapshotControls(this.redis, this.keys, this.config.source.tables, { source: this.pool });
    return this.settings.runtime.snapshots ?? this.defaultSnapshots;
  }

  startSnapshot(tables?: string[], where?: string): Promise<unknown> {
    return this.refused(this.snapshotControl().start({ tables, where }));
  }
  pauseSnapshot(id: string): Promise<unknown> {
    return this.refused(this.snapshotControl().pause(id));
  }
  resumeSnapshot(id: string): Promise<unknown> {
    return this.refused(this.snapshotControl().resume(id));
  }
  cancelSnapshot(id: string): Promise<unknown> {
    return this.refused(this.snapshotControl().cancel(id));
  }

  /** A refused snapshot request (bad condition, unknown table) or an operation the state does not
   *  allow (already done…) is the caller's 400, an unknown id a 404; anything else (Redis or Postgres
   *  down) stays an internal error, so no driver message reaches the caller. */
  private refused<T>(operation: Promise<T>): Promise<T> {
    return operation.catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (/^no snapshot /.test(message)) throw new NotFoundException(message);
      if (
        error instanceof SnapshotRequestError ||
        error instanceof SourceShapeError ||
        /^(not a published table|snapshot \S+ is )/.test(message)
      )
        throw new BadRequestException(message);
      throw error;
    });
  }

  // ---- live numbers -----------------------------------------------------------------------------

  metricsHistory(): MetricsSample[] {
    return this.history.toArray();
  }

  metricsStream(): Observable<MetricsSample> {
    return this.samples.asObservable();
  }

  tail(sample: number, full = false): Observable<TailBatch> {
    return liveTail(this.redis, this.keys, this.partitionCount, { sample, full });
  }

  /** One sample of the live numbers: pushed to the 15-minute history and to SSE subscribers. */
  async sampleOnce(): Promise<MetricsSample | undefined> {
    if (this.sampling) return undefined;
    this.sampling = true;
    try {
      const partitions = await this.partitions();
      const [source, sinks] = await Promise.all([this.source().catch(() => null), this.sinks(partitions)]);
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
      this.samples.next(sample);
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

const MAX_SEQ = '18446744073709551615';

/**
 * The committed position a replay resets to; the sink then re-reads every entry after it.
 * 'start' → from the beginning (undefined); an entry ID → after that entry; an LSN → every event
 * committed at or after that LSN. Anything else is a 400.
 */
export function replayPosition(from: string): string | undefined {
  const text = from.trim();
  if (text === 'start') return undefined;
  try {
    if (/^\d+-\d+$/.test(text)) return positionToId(idToPosition(text));
    const lsn = parseLsn(text);
    return lsn === 0n ? undefined : `${lsn - 1n}-${MAX_SEQ}`;
  } catch {
    throw new BadRequestException(
      `"${from}" is not a position: use "start", an entry ID like "23456789-0" or an LSN like "16/B374D848"`,
    );
  }
}
