/** Everything `distributary status` shows, read from the log Redis (keys.ts layout) and Postgres. */
import { Queue } from 'bullmq';
import {
  MAINTENANCE_QUEUE,
  openingStatuses,
  type ChangeLog,
  type ConnectorState,
  type LogKeys,
  type OpeningTrouble,
  type PartitionStats,
  type RedisClient,
  type SinkLag,
  type WorkerStatus,
} from '@distributary/changelog';
import { sinkKind, type DistributaryConfig, type SinkKind } from '@distributary/config';
import { redactUrl } from '@distributary/observability';
import { SnapshotRequests, readSlotHealthState, type ResyncEpisode } from '@distributary/control';
import { sourceLag, type SourceLag } from '@distributary/pg-catalog';
import type { SnapshotRecord } from '@distributary/pg-snapshot';
import { readFanOutStatus, type FanOutStatus } from '@distributary/sink-elasticsearch';
import { withLogRedis } from '../log-connection';
import { readProcessStatuses, type ProcessStatus } from '../supervisor/process-status';
import { readSlotStatus, type SlotStatus } from './source-slot';

export interface SinkStatus {
  name: string;
  kind: SinkKind;
  paused: boolean;
  deadLetters: number;
  /** Behind the log: entries, bytes and seconds of unapplied log entries. */
  lag: { entries: number; capped: boolean; bytes: string; seconds: number };
  /** Behind the SOURCE (pg_current_wal_lsn()): the truthful end-to-end lag; 0 only when caughtUp. */
  sourceLag?: SourceLag;
  partitions: SinkLag[];
  /** Elasticsearch sinks: lookup/child keys whose roots wait for a re-index pass, the running pass. */
  fanOut?: FanOutStatus;
}

export interface JobsStatus {
  queue: string;
  counts: Record<string, number>;
  schedulers: { id: string; every?: number; next?: number }[];
}

export interface PipelineStatus {
  source: SlotStatus & { url: string };
  connector: ConnectorState;
  log: { namespace: string; partitions: PartitionStats[] };
  sinks: SinkStatus[];
  workers: WorkerStatus[];
  /** Workers still opening their sinks (they own nothing yet), with their last failed open. */
  opening: { workerId: string; trouble?: OpeningTrouble }[];
  /** Role processes that reported lately: pid, RSS and heap of each (supervisor/process-status.ts). */
  processes: ProcessStatus[];
  jobs: JobsStatus[];
  /** Recent incremental snapshots (newest first). */
  snapshots: SnapshotRecord[];
  /** The current or last re-sync after a lost slot. */
  resync?: ResyncEpisode;
}

export async function collectStatus(config: DistributaryConfig): Promise<PipelineStatus> {
  const [slot, fromLog] = await Promise.all([
    readSlotStatus(config),
    withLogRedis(config, (redis, keys, log) => readLogStatus(config, redis, keys, log)),
  ]);
  const { throughTs, ...logStatus } = fromLog;
  const status: PipelineStatus = { source: { ...slot, url: redactUrl(config.source.postgres.url) }, ...logStatus };
  if (slot.health) {
    const resolutionMs = config.source.postgres.heartbeat + config.source.connector.statusEvery;
    for (const sink of status.sinks)
      sink.sourceLag = sourceLag({
        sourceLsn: slot.health.currentLsn,
        connectorConfirmedLsn: status.connector.confirmedLsn,
        throughTs,
        connectorUpdatedAt: status.connector.updatedAt,
        slot: slot.health,
        partitions: sink.partitions.map((p) => ({
          committedId: p.committed ?? null,
          unapplied: p.entries,
          oldestUnappliedSeconds: p.seconds,
        })),
        resolutionMs,
      });
  }
  return status;
}

async function readLogStatus(
  config: DistributaryConfig,
  redis: RedisClient,
  keys: LogKeys,
  log: ChangeLog,
): Promise<Omit<PipelineStatus, 'source'> & { throughTs?: string }> {
  const paused = new Set(await log.sinks.paused());
  const sinks: SinkStatus[] = [];
  for (const sink of config.sinks) {
    const partitions = await log.stats.sinkLags(sink.name);
    const kind = sinkKind(sink);
    sinks.push({
      name: sink.name,
      kind,
      paused: paused.has(sink.name),
      deadLetters: await log.deadLetters.count(sink.name),
      lag: {
        entries: partitions.reduce((sum, p) => sum + p.entries, 0),
        capped: partitions.some((p) => p.capped),
        bytes: partitions.reduce((sum, p) => sum + BigInt(p.bytes), 0n).toString(),
        seconds: partitions.reduce((max, p) => Math.max(max, p.seconds), 0),
      },
      partitions,
      ...(kind === 'elasticsearch' ? { fanOut: await readFanOutStatus(redis, keys.namespace, sink.name) } : {}),
    });
  }
  const health = await readSlotHealthState(redis, keys);
  return {
    resync: health.resync,
    throughTs: health.throughTs,
    connector: await log.connector.read(),
    log: { namespace: config.log.namespace, partitions: await log.stats.all() },
    sinks,
    workers: await log.sinks.workerStatuses(),
    opening: await openingStatuses(redis, keys, OPENING_TTL_MS),
    processes: await readProcessStatuses(redis, keys),
    jobs: [await readJobs(redis, keys)],
    snapshots: await new SnapshotRequests(redis, keys).list(10),
  };
}

/** A worker heartbeats its opening every third of its member TTL (5 s by default): this sees every live one. */
const OPENING_TTL_MS = 5000;

async function readJobs(redis: RedisClient, keys: LogKeys): Promise<JobsStatus> {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: redis, prefix: keys.jobsPrefix() });
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    const schedulers = (await queue.getJobSchedulers()).map((s) => ({
      id: s.key,
      every: s.every ? Number(s.every) : undefined,
      next: s.next,
    }));
    return { queue: MAINTENANCE_QUEUE, counts, schedulers };
  } finally {
    await queue.close();
  }
}
