/** The admin API's answers, as the dashboard uses them (mirrors apps/admin/src/backend/types.ts). */
import type { ResyncEpisode, SlotHealth, SourceLag } from './slot-types';

export type Role = 'viewer' | 'operator';

export interface SourceStatus {
  slot: string;
  database: string | null;
  exists: boolean;
  active: boolean;
  confirmedLsn: string | null;
  currentLsn: string;
  retainedWalBytes: string | null;
  confirmedLagBytes: string | null;
  connector: {
    leader: string | null;
    leaseTtlMs: number | null;
    fencingToken: string | null;
    state: Record<string, string>;
  };
  health?: SlotHealth;
  resync?: ResyncEpisode;
}

export interface PartitionStats {
  partition: number;
  length: number;
  firstId: string | null;
  lastId: string | null;
  entriesAdded: number;
  memoryBytes: number | null;
}

export interface SinkState {
  name: string;
  kind: string;
  lagEntries: number;
  lagCapped: boolean;
  lagBytes: string;
  lagSeconds: number | null;
  throughput: number | null;
  errors: number;
  /** Why partitions are degraded (retrying longer than the worker's bound); absent from older admins. */
  degraded?: string[];
  dlqSize: number;
  paused: boolean;
  /** Elasticsearch sinks' fan-out queue; absent from other sinks and older admins. */
  fanOut?: { pending: number; runningSince?: string; running?: string; rootsReindexed: number };
  /** Lag against the source's WAL position; "0" only when caughtUp. */
  sourceLag?: SourceLag;
}

export interface WorkerStatus {
  workerId: string;
  host: string;
  pid: number;
  updatedAt: string;
  owned: { sink: string; partition: number; state: string }[];
}

/** A live subscription gateway's published status (numbers over its last 5 s). */
export interface GatewayStatus {
  instanceId: string;
  host: string;
  pid: number;
  updatedAt: string;
  subscribers: number;
  deliveredPerSecond: number;
  lagP50Ms: number | null;
  lagP99Ms: number | null;
  drops: number;
}

export interface Overview {
  source: SourceStatus | { error: string };
  partitions: PartitionStats[];
  sinks: SinkState[];
  workers: WorkerStatus[];
  /** Absent from an admin API older than the gateway panels. */
  gateways?: GatewayStatus[];
}

export interface MetricsSample {
  t: number;
  retainedWalBytes: number | null;
  logEntries: number;
  appendRate: number | null;
  sinks: Record<
    string,
    { lagEntries: number; lagBytes: number; lagSeconds: number | null; throughput: number | null; dlqSize: number }
  >;
}

export interface DeadLetter {
  id: string;
  partition: number | null;
  time: string | null;
  error: string | null;
  table: string | null;
  op: string | null;
  key: unknown;
  eventId: string | null;
}

export interface DeadLetterPage {
  sink: string;
  total: number;
  entries: DeadLetter[];
  next: string | null;
}

export interface SnapshotJob {
  id: string;
  kind: 'initial' | 'incremental';
  status: string | null;
  progress: number | null;
  rowsDone: number | null;
  rowsTotal: number | null;
  tables: string[];
  createdAt: string | null;
  /** Every stored field (reason: 'schema change: …', 'cli', 'config: table added', …). */
  fields?: Record<string, unknown>;
}

export interface TailEvent {
  partition: number;
  id: string;
  op: string;
  table: string;
  key: unknown;
  commitTs: string | null;
}

/** GET /api/verify: the last verification of one sink (libs/verify StoredVerifyResult, the fields shown). */
export interface VerifyOutcome {
  sink: string;
  status: 'clean' | 'different' | 'behind' | 'error';
  lsn: string;
  verifiedAt: string;
  expectedCount: number;
  missingCount: number;
  extraCount: number;
  differentCount: number;
  error?: string;
}

export interface VerifyResult extends VerifyOutcome {
  afterRepair?: VerifyOutcome;
}
