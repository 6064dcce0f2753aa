export * from './keys';
export * from './change-log';
export * from './redis-connection';
// read side, ownership and maintenance
export * from './stream-entries';
export * from './reader';
// The (redis, keys, …) functions below are ChangeLog's internals; exported only those a caller outside
// still uses (the worker engine, the connector, the gateway) until it holds a ChangeLog.
export { committedPosition, sinkPositions, commitPosition, replaySinkFrom, type CommitResult } from './positions';
export { acquireLease, releaseLease, leaseHolder } from './leases';
export { assignedOwner, assignmentFor } from './membership';
export * from './ownership';
export {
  appendDeadLetter,
  deadLetterCount,
  listDeadLetters,
  getDeadLetters,
  replayDeadLetters,
  allDeadLetters,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterReplayResult,
} from './dead-letters';
export { recordCheckpoint } from './log-clock';
export * from './compaction-plan';
export type {
  RetentionPolicy,
  MaintenanceOptions,
  PartitionMaintenanceReport,
  LogMaintenanceReport,
} from './compaction';
export { retentionBound, lowerBound, type SinkBound } from './retention-bounds';
export {
  LAG_COUNT_CAP,
  partitionStats,
  countAfter,
  sinkLag,
  sinkLags,
  type PartitionStats,
  type SinkLag,
} from './stats';
export * from './sink-control';
export * from './maintenance-jobs';
export * from './dead-letter-jobs';
export { LuaScript, luaScript, defineScripts } from './lua-script';
export * from './appender';
export { AppendBatch } from './append-batch';
export * from './durability';
export * from './tx-marker';
export * from './connector-lease';
export * from './latest-event';
export * from './connector-state';
export * from './exclusive-range';
