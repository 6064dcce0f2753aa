export * from './keys';
export * from './change-log';
export * from './redis-connection';
// read side, ownership and maintenance
export * from './stream-entries';
export type { ReadOptions } from './reader';
// The (redis, keys, …) functions below are ChangeLog's internals; exported only those tests outside
// libs/changelog still use to set up or inspect a log (production code holds a ChangeLog).
export { committedPosition, sinkPositions, type CommitResult } from './positions';
export { acquireLease, releaseLease, leaseHolder } from './leases';
export { assignedOwner, assignmentFor, openingStatuses, type OpeningTrouble } from './membership';
export * from './ownership';
export {
  appendDeadLetter,
  deadLetterCount,
  listDeadLetters,
  replayDeadLetters,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterReplayResult,
} from './dead-letters';
export * from './compaction-plan';
export type {
  RetentionPolicy,
  MaintenanceOptions,
  PartitionMaintenanceReport,
  LogMaintenanceReport,
} from './compaction';
export { retentionBound, lowerBound, type SinkBound } from './retention-bounds';
export { LAG_COUNT_CAP, partitionStats, countAfter, type PartitionStats, type SinkLag } from './stats';
export {
  pausedSinks,
  writeWorkerStatus,
  readWorkerStatus,
  readWorkerStatuses,
  type WorkerStatus,
} from './sink-control';
export * from './maintenance-jobs';
export * from './dead-letter-jobs';
export { LuaScript, luaScript, defineScripts } from './lua-script';
export * from './appender';
export { AppendBatch } from './append-batch';
export * from './durability';
export * from './tx-marker';
export * from './connector-lease';
export * from './connector-state';
export * from './exclusive-range';
