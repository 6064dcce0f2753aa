/** The admin API's answers: the types come from its contract (libs/admin-contract), type-only, so none
 *  of its code is bundled. */
export type {
  AuditEntry,
  AuditPage,
  DeadLetter,
  DeadLetterPage,
  GatewayStatus,
  MetricsSample,
  Overview,
  PartitionSummary,
  ResyncEpisode,
  Role,
  SinkState,
  SlotHealth,
  SnapshotJob,
  SourceLag,
  SourceStatus,
  TailEvent,
  VerifyOutcome,
  VerifyResult,
  WorkerStatus,
} from '@distributary/admin-contract';
