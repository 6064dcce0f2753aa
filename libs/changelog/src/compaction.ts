/**
 * Log maintenance for one partition: compaction (keep the latest event of every key, expire
 * tombstones; see compaction-plan.ts for the guarantees) or time retention (XTRIM MINID by age).
 * Both leave alone everything younger than minLag / maxAge and, unless `force`, everything the
 * slowest sink has not committed yet — so a sink never misses an event it has not read.
 */
import { counter, silentLogger, type Logger } from '@distributary/observability';
import { planCompaction, type PlanEntry } from './compaction-plan';
import type { LogKeys } from './keys';
import { lastIdOlderThan, recordCheckpoint } from './log-clock';
import type { RedisClient } from './redis-connection';
import { lowerBound, reportHeldBack, retentionBound, slowestSinkBound } from './retention-bounds';
import { bufferEntryKeyOp, nextId, type RawBufferEntry } from './stream-entries';

const removedTotal = counter(
  'distributary_log_entries_reclaimed_total',
  'Log entries removed by compaction/retention',
  ['partition'],
);
const bytesTotal = counter(
  'distributary_log_bytes_reclaimed_total',
  'Estimated bytes removed by compaction/retention',
  ['partition'],
);

export interface RetentionPolicy {
  mode: 'compact' | 'time';
  /** compact: how long delete tombstones are kept (ms). */
  tombstones: number;
  /** compact: nothing younger than this is touched (ms). */
  minLag: number;
  /** time: entries older than this are trimmed (ms). */
  maxAge: number;
}

export interface MaintenanceOptions {
  /** Configured sink names: a sink with no committed position holds everything back. */
  sinks?: readonly string[];
  /** Remove even what a sink has not committed yet. */
  force?: boolean;
  logger?: Logger;
}

export interface PartitionMaintenanceReport {
  partition: number;
  mode: 'compact' | 'time';
  scanned: number;
  entriesRemoved: number;
  /** Sum of the removed entries' sizes (IDs, field names, values). */
  bytesEstimated: number;
  memoryBefore: number;
  memoryAfter: number;
  superseded: number;
  tombstones: number;
  /** Highest ID that was eligible; undefined when nothing was. */
  removableUpTo?: string;
  /** Sinks whose committed position held back what age alone would have allowed. */
  heldBackBy: string[];
}

const PAGE = 1000;
const DELETE_CHUNK = 500;

async function memoryUsage(redis: RedisClient, key: string): Promise<number> {
  return Number((await redis.memory('USAGE', key)) ?? 0);
}

async function scanPartition(redis: RedisClient, stream: string): Promise<PlanEntry[]> {
  const entries: PlanEntry[] = [];
  let start = '-';
  for (;;) {
    // Buffer replies: only the key and op become strings, never the event bodies (a scan reads the
    // whole partition, in the worker beside its sinks)
    const page = (await redis.xrangeBuffer(stream, start, '+', 'COUNT', PAGE)) as RawBufferEntry[];
    for (const raw of page) entries.push(bufferEntryKeyOp(raw));
    if (page.length < PAGE) return entries;
    start = `(${entries[entries.length - 1].id}`;
  }
}

/** One compaction pass over one partition. */
export async function compactPartition(
  redis: RedisClient,
  keys: LogKeys,
  partition: number,
  policy: Pick<RetentionPolicy, 'minLag' | 'tombstones'>,
  options: MaintenanceOptions = {},
): Promise<PartitionMaintenanceReport> {
  const stream = keys.partition(partition);
  const logger = options.logger ?? silentLogger;
  const { now } = await recordCheckpoint(redis, keys, partition, Math.max(policy.minLag, policy.tombstones) * 2);
  const byAge = await lastIdOlderThan(redis, keys, partition, now, policy.minLag);
  const tombstoneAge = await lastIdOlderThan(redis, keys, partition, now, Math.max(policy.minLag, policy.tombstones));
  const sinks = await slowestSinkBound(redis, keys, partition, options.sinks);
  const removableUpTo = retentionBound(byAge, sinks, options.force);
  const heldBackBy = options.force ? [] : await reportHeldBack(redis, keys, partition, byAge, options.sinks ?? []);
  if (heldBackBy.length) logger.warn({ partition, sinks: heldBackBy }, 'sinks behind hold back log compaction');

  const memoryBefore = await memoryUsage(redis, stream);
  // nothing may be removed (everything younger than minLag, or held back by a sink): the plan would
  // be empty, so the partition is not read at all (a worker starting over a young log read every
  // entry whole for nothing: ~12 % of its CPU in bench figure 3's drain)
  const entries = removableUpTo === undefined ? [] : await scanPartition(redis, stream);
  const plan = planCompaction(entries, {
    removableUpTo,
    tombstonesUpTo: lowerBound(removableUpTo, tombstoneAge),
  });
  for (let i = 0; i < plan.remove.length; i += DELETE_CHUNK) {
    await redis.xdel(stream, ...plan.remove.slice(i, i + DELETE_CHUNK));
  }
  const memoryAfter = plan.remove.length ? await memoryUsage(redis, stream) : memoryBefore;
  removedTotal.inc({ partition: String(partition) }, plan.remove.length);
  bytesTotal.inc({ partition: String(partition) }, plan.bytes);
  return {
    partition,
    mode: 'compact',
    scanned: entries.length,
    entriesRemoved: plan.remove.length,
    bytesEstimated: plan.bytes,
    memoryBefore,
    memoryAfter,
    superseded: plan.superseded,
    tombstones: plan.tombstones,
    removableUpTo,
    heldBackBy,
  };
}

/** Time retention for one partition: XTRIM MINID past entries older than maxAge. */
export async function trimPartitionByAge(
  redis: RedisClient,
  keys: LogKeys,
  partition: number,
  policy: Pick<RetentionPolicy, 'maxAge'>,
  options: MaintenanceOptions = {},
): Promise<PartitionMaintenanceReport> {
  const stream = keys.partition(partition);
  const logger = options.logger ?? silentLogger;
  const { now } = await recordCheckpoint(redis, keys, partition, policy.maxAge * 2);
  const byAge = await lastIdOlderThan(redis, keys, partition, now, policy.maxAge);
  // Warn early: a sink whose position is older than 80 % of maxAge is close to holding retention back.
  const warnAt = await lastIdOlderThan(redis, keys, partition, now, Math.floor(policy.maxAge * 0.8));
  const sinks = await slowestSinkBound(redis, keys, partition, options.sinks);
  const removableUpTo = retentionBound(byAge, sinks, options.force);
  const heldBackBy = options.force ? [] : await reportHeldBack(redis, keys, partition, warnAt, options.sinks ?? []);
  if (heldBackBy.length)
    logger.warn({ partition, sinks: heldBackBy }, 'sinks are close to falling off the log retention');

  const memoryBefore = await memoryUsage(redis, stream);
  const lengthBefore = await redis.xlen(stream);
  let removed = 0;
  if (removableUpTo !== undefined) removed = Number(await redis.xtrim(stream, 'MINID', nextId(removableUpTo)));
  const memoryAfter = removed ? await memoryUsage(redis, stream) : memoryBefore;
  const bytesEstimated = lengthBefore ? Math.round((memoryBefore * removed) / lengthBefore) : 0;
  removedTotal.inc({ partition: String(partition) }, removed);
  bytesTotal.inc({ partition: String(partition) }, bytesEstimated);
  return {
    partition,
    mode: 'time',
    scanned: lengthBefore,
    entriesRemoved: removed,
    bytesEstimated,
    memoryBefore,
    memoryAfter,
    superseded: 0,
    tombstones: 0,
    removableUpTo,
    heldBackBy,
  };
}

export interface LogMaintenanceReport {
  mode: 'compact' | 'time';
  entriesRemoved: number;
  bytesEstimated: number;
  partitions: PartitionMaintenanceReport[];
}

/** Runs the configured retention over every partition (or the given ones). */
export async function maintainLog(
  redis: RedisClient,
  keys: LogKeys,
  partitions: number | number[],
  policy: RetentionPolicy,
  options: MaintenanceOptions = {},
): Promise<LogMaintenanceReport> {
  const list = Array.isArray(partitions) ? partitions : Array.from({ length: partitions }, (_, p) => p);
  const reports: PartitionMaintenanceReport[] = [];
  for (const p of list) {
    reports.push(
      policy.mode === 'time'
        ? await trimPartitionByAge(redis, keys, p, policy, options)
        : await compactPartition(redis, keys, p, policy, options),
    );
  }
  const report: LogMaintenanceReport = {
    mode: policy.mode,
    entriesRemoved: reports.reduce((n, r) => n + r.entriesRemoved, 0),
    bytesEstimated: reports.reduce((n, r) => n + r.bytesEstimated, 0),
    partitions: reports,
  };
  (options.logger ?? silentLogger).info(
    { mode: report.mode, entriesRemoved: report.entriesRemoved, bytesEstimated: report.bytesEstimated },
    'log maintenance pass done',
  );
  return report;
}
