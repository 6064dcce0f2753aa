/**
 * The change log's front door: one object per (Redis client, namespace, partition count) that groups
 * the log's jobs — append | read | positions | ownership | dead letters | stats | compaction | sink
 * control | connector state — so a caller holds a `ChangeLog` instead of passing `(redis, keys, …)`
 * to dozens of functions. Each method delegates to the function of the same job (reader.ts,
 * positions.ts, …): no behaviour, key or stored format of its own. Construct it once per process
 * (or per connection) and hand it on.
 */
import type { Row, Sink } from '@distributary/core';
import { LogAppender } from './appender';
import { readConnectorState, writeConnectorState } from './connector-state';
import { compactPartition, maintainLog, trimPartitionByAge } from './compaction';
import {
  allDeadLetters,
  appendDeadLetter,
  deadLetterCount,
  deadLetterEntries,
  dropDeadLetters,
  getDeadLetters,
  listDeadLetters,
  replayDeadLetters,
} from './dead-letters';
import { forgetSinkState } from './forget-sink-state';
import { LogKeys } from './keys';
import { findLatestEventOfKey } from './latest-event';
import { acquireLease, leaseHolder, releaseLease, renewLease } from './leases';
import { recordCheckpoint, lastIdOlderThan } from './log-clock';
import { heartbeatMember, leaveMembership } from './membership';
import {
  commitPosition,
  committedPosition,
  replaySinkFrom,
  resetPosition,
  sinkBacklogSize,
  sinkPositions,
} from './positions';
import { readAll, readPartition, readRange } from './reader';
import type { RedisClient } from './redis-connection';
import { reportHeldBack, slowestSinkBound } from './retention-bounds';
import {
  pauseSink,
  pausedSinks,
  readWorkerStatus,
  readWorkerStatuses,
  resumeSink,
  writeWorkerStatus,
} from './sink-control';
import { logStats, partitionStats, sinkLag, sinkLags } from './stats';

/** The parameters of a `(redis, keys, …rest)` function after its first two (names kept for hovers). */
type Rest<F> = F extends (redis: RedisClient, keys: LogKeys, ...rest: infer R) => unknown ? R : never;
/** …and after a leading `sink` too, for the groups bound to one sink. */
type RestAfterSink<F> = F extends (redis: RedisClient, keys: LogKeys, sink: string, ...rest: infer R) => unknown
  ? R
  : never;

abstract class LogPart {
  constructor(
    protected readonly redis: RedisClient,
    protected readonly keys: LogKeys,
    protected readonly partitions: number,
  ) {}
}

/** Reading partitions (entries in ID order, exclusive start) and finding a key's latest event. */
export class LogReads extends LogPart {
  partition(...args: Rest<typeof readPartition>) {
    return readPartition(this.redis, this.keys, ...args);
  }
  range(...args: Rest<typeof readRange>) {
    return readRange(this.redis, this.keys, ...args);
  }
  all(...args: Rest<typeof readAll>) {
    return readAll(this.redis, this.keys, ...args);
  }
  /** The newest event of `table`/`key` in `partition` before `beforeId` (bounded scan, see latest-event.ts). */
  latestOfKey(partition: number, table: string, key: Row, beforeId: string, maxScan?: number, pageSize?: number) {
    return findLatestEventOfKey(this.redis, this.keys.partition(partition), table, key, beforeId, maxScan, pageSize);
  }
}

/** Committed positions of (sink, partition): fenced commits, explicit replays, and a removed sink's state. */
export class LogPositions extends LogPart {
  of(...args: Rest<typeof committedPosition>) {
    return committedPosition(this.redis, this.keys, ...args);
  }
  /** The sink's committed position in every partition of the log (missing = nothing committed yet). */
  ofSink(sink: string) {
    return sinkPositions(this.redis, this.keys, sink, this.partitions);
  }
  commit(...args: Rest<typeof commitPosition>) {
    return commitPosition(this.redis, this.keys, ...args);
  }
  reset(...args: Rest<typeof resetPosition>) {
    return resetPosition(this.redis, this.keys, ...args);
  }
  /** Moves the sink back to `id` (or the start) in every partition, fencing out its owners. */
  replay(sink: string, id?: string) {
    return replaySinkFrom(this.redis, this.keys, sink, this.partitions, id);
  }
  /** Deferred work the sink still owes after its positions (0 = none; LogKeys.sinkBacklog). */
  backlog(sink: string) {
    return sinkBacklogSize(this.redis, this.keys, sink);
  }
  /** A removed sink: positions and leases reset (owner fenced), dead letters deleted. */
  forget(sink: string) {
    return forgetSinkState(this.redis, this.keys, sink, this.partitions);
  }
}

/** Who works on what: (sink, partition) leases with fencing tokens, and worker membership. */
export class LogOwnership extends LogPart {
  acquire(...args: Rest<typeof acquireLease>) {
    return acquireLease(this.redis, this.keys, ...args);
  }
  renew(...args: Rest<typeof renewLease>) {
    return renewLease(this.redis, this.keys, ...args);
  }
  release(...args: Rest<typeof releaseLease>) {
    return releaseLease(this.redis, this.keys, ...args);
  }
  holder(...args: Rest<typeof leaseHolder>) {
    return leaseHolder(this.redis, this.keys, ...args);
  }
  heartbeat(...args: Rest<typeof heartbeatMember>) {
    return heartbeatMember(this.redis, this.keys, ...args);
  }
  leave(...args: Rest<typeof leaveMembership>) {
    return leaveMembership(this.redis, this.keys, ...args);
  }
}

/** One sink's dead letters: events it could not apply, kept for inspection, replay or drop. */
export class SinkDeadLetters extends LogPart {
  append(...args: Rest<typeof appendDeadLetter>) {
    return appendDeadLetter(this.redis, this.keys, ...args);
  }
  count(sink: string) {
    return deadLetterCount(this.redis, this.keys, sink);
  }
  entries(sink: string, ...args: RestAfterSink<typeof deadLetterEntries>) {
    return deadLetterEntries(this.redis, this.keys, sink, ...args);
  }
  list(sink: string, ...args: RestAfterSink<typeof listDeadLetters>) {
    return listDeadLetters(this.redis, this.keys, sink, ...args);
  }
  get(sink: string, ids: string[]) {
    return getDeadLetters(this.redis, this.keys, sink, ids);
  }
  all(sink: string) {
    return allDeadLetters(this.redis, this.keys, sink);
  }
  drop(sink: string, ids: string[] | 'all') {
    return dropDeadLetters(this.redis, this.keys, sink, ids);
  }
  replay(sink: Sink, options?: { ids?: string[] }) {
    return replayDeadLetters(this.redis, this.keys, sink, options);
  }
}

/** Sizes and lag: per partition and per sink (what `status`, the admin API and metrics show). */
export class LogStatsReader extends LogPart {
  partition(partition: number) {
    return partitionStats(this.redis, this.keys, partition);
  }
  /** Every partition of the log. */
  all() {
    return logStats(this.redis, this.keys, this.partitions);
  }
  sinkLag(...args: Rest<typeof sinkLag>) {
    return sinkLag(this.redis, this.keys, ...args);
  }
  /** The sink's lag in every partition of the log. */
  sinkLags(sink: string) {
    return sinkLags(this.redis, this.keys, sink, this.partitions);
  }
}

/** Retention: compaction, age trims, and the bounds the slowest sink holds them at. */
export class LogCompaction extends LogPart {
  partition(...args: Rest<typeof compactPartition>) {
    return compactPartition(this.redis, this.keys, ...args);
  }
  trimByAge(...args: Rest<typeof trimPartitionByAge>) {
    return trimPartitionByAge(this.redis, this.keys, ...args);
  }
  /** Runs the retention policy over `partitions` (default: every partition of the log). */
  maintain(
    policy: Parameters<typeof maintainLog>[3],
    options?: Parameters<typeof maintainLog>[4],
    partitions: number | number[] = this.partitions,
  ) {
    return maintainLog(this.redis, this.keys, partitions, policy, options);
  }
  slowestSinkBound(...args: Rest<typeof slowestSinkBound>) {
    return slowestSinkBound(this.redis, this.keys, ...args);
  }
  reportHeldBack(...args: Rest<typeof reportHeldBack>) {
    return reportHeldBack(this.redis, this.keys, ...args);
  }
  recordCheckpoint(...args: Rest<typeof recordCheckpoint>) {
    return recordCheckpoint(this.redis, this.keys, ...args);
  }
  lastIdOlderThan(...args: Rest<typeof lastIdOlderThan>) {
    return lastIdOlderThan(this.redis, this.keys, ...args);
  }
}

/** Pause/resume across all workers, and what each worker publishes about itself. */
export class SinkControl extends LogPart {
  pause(sink: string) {
    return pauseSink(this.redis, this.keys, sink);
  }
  resume(sink: string) {
    return resumeSink(this.redis, this.keys, sink);
  }
  paused() {
    return pausedSinks(this.redis, this.keys);
  }
  writeWorkerStatus(...args: Rest<typeof writeWorkerStatus>) {
    return writeWorkerStatus(this.redis, this.keys, ...args);
  }
  workerStatus(workerId: string) {
    return readWorkerStatus(this.redis, this.keys, workerId);
  }
  workerStatuses() {
    return readWorkerStatuses(this.redis, this.keys);
  }
}

/** The connector's published state (confirmed LSN, slot, heartbeat). */
export class ConnectorStateStore extends LogPart {
  read() {
    return readConnectorState(this.redis, this.keys);
  }
  write(...args: Rest<typeof writeConnectorState>) {
    return writeConnectorState(this.redis, this.keys, ...args);
  }
}

/** What identifies a log: its client, keys and partition count (a ChangeLog is one). */
export type LogHandle = Pick<ChangeLog, 'redis' | 'keys' | 'partitions'>;

export class ChangeLog {
  /** `handle` itself when it is a ChangeLog, else a ChangeLog over the same client, keys and partitions. */
  static of(handle: LogHandle): ChangeLog {
    return handle instanceof ChangeLog ? handle : new ChangeLog(handle.redis, handle.keys, handle.partitions);
  }

  readonly keys: LogKeys;
  readonly read: LogReads;
  readonly positions: LogPositions;
  readonly ownership: LogOwnership;
  readonly deadLetters: SinkDeadLetters;
  readonly stats: LogStatsReader;
  readonly compaction: LogCompaction;
  readonly sinks: SinkControl;
  readonly connector: ConnectorStateStore;

  /** `namespace` as a string or the log's LogKeys; `partitions` = log.partitions of the config. */
  constructor(
    readonly redis: RedisClient,
    namespace: string | LogKeys,
    readonly partitions: number,
  ) {
    const keys = typeof namespace === 'string' ? new LogKeys(namespace) : namespace;
    this.keys = keys;
    this.read = new LogReads(redis, keys, partitions);
    this.positions = new LogPositions(redis, keys, partitions);
    this.ownership = new LogOwnership(redis, keys, partitions);
    this.deadLetters = new SinkDeadLetters(redis, keys, partitions);
    this.stats = new LogStatsReader(redis, keys, partitions);
    this.compaction = new LogCompaction(redis, keys, partitions);
    this.sinks = new SinkControl(redis, keys, partitions);
    this.connector = new ConnectorStateStore(redis, keys, partitions);
  }

  /** A writer of this log (one per connector: it keeps per-stream buffers between batches). */
  appender(): LogAppender {
    return new LogAppender(this.redis, this.keys, this.partitions);
  }
}
