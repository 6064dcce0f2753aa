/** What the admin API answers. Numbers that can exceed 2^53 (LSNs, WAL bytes) are decimal strings. */
import type { ResyncEpisode, SlotHealth, SourceLag } from '@distributary/pg-source';
import type { FanOutStatus } from '@distributary/sink-elasticsearch';

export interface ConnectorStatus {
  /** Owner id written in the connector lease, or null when no connector holds it. */
  leader: string | null;
  leaseTtlMs: number | null;
  fencingToken: string | null;
  /** The connector's status hash (keys.connectorState()), secrets redacted. */
  state: Record<string, string>;
}

export interface SourceStatus {
  slot: string;
  database: string | null;
  exists: boolean;
  active: boolean;
  activePid: number | null;
  plugin: string | null;
  confirmedLsn: string | null;
  restartLsn: string | null;
  currentLsn: string;
  /** WAL the slot pins: current LSN − restart LSN. */
  retainedWalBytes: string | null;
  /** current LSN − confirmed LSN. */
  confirmedLagBytes: string | null;
  connector: ConnectorStatus;
  /** wal_status, safe_wal_size, invalidation, max_slot_wal_keep_size and the judged state (libs/pg-source). */
  health?: SlotHealth;
  /** The current or last re-sync after a lost slot. */
  resync?: ResyncEpisode;
  /** Every change committed before this time is in the log (confirmed heartbeats). */
  throughTs?: string;
}

export interface PartitionStats {
  partition: number;
  key: string;
  length: number;
  firstId: string | null;
  lastId: string | null;
  /** Entries ever appended (XINFO entries-added): survives compaction, so rates can be derived. */
  entriesAdded: number;
  memoryBytes: number | null;
}

export interface SinkPartitionLag {
  partition: number;
  committedId: string | null;
  lagEntries: number;
  /** True when lagEntries stopped counting at the cap (the real lag is at least that). */
  lagCapped: boolean;
  lagBytes: string;
  lagSeconds: number | null;
}

export interface SinkState {
  name: string;
  kind: string;
  lagEntries: number;
  lagCapped: boolean;
  lagBytes: string;
  lagSeconds: number | null;
  /** Entries per second consumed, over the last sampling interval (null until two samples exist). */
  throughput: number | null;
  /** Partitions of this sink whose worker is retrying after an error right now (target down…). */
  errors: number;
  /** Why partitions of this sink are degraded (retrying a failed step longer than the worker's bound). */
  degraded: string[];
  dlqSize: number;
  paused: boolean;
  partitions: SinkPartitionLag[];
  /** Elasticsearch sinks: lookup/child keys waiting for a re-index pass, the running pass, roots done. */
  fanOut?: FanOutStatus;
  /** Lag against the source (pg_current_wal_lsn()); "caught up" only when everything committed is applied. */
  sourceLag?: SourceLag;
}

export interface DeadLetter {
  id: string;
  sink: string;
  partition: number | null;
  time: string | null;
  error: string | null;
  table: string | null;
  op: string | null;
  key: unknown;
  eventId: string | null;
  /** Every field of the stream entry, parsed when JSON (a bounded preview unless asked in full). */
  fields: Record<string, unknown>;
  /** True when the preview cut something: an operator gets everything with `?full=1`. */
  truncated: boolean;
}

export interface DeadLetterPage {
  sink: string;
  total: number;
  entries: DeadLetter[];
  /** Pass as `after` to get the next page; null at the end. */
  next: string | null;
}

export interface MetricsSample {
  /** Unix ms. */
  t: number;
  retainedWalBytes: number | null;
  logEntries: number;
  /** Entries appended per second over the last interval. */
  appendRate: number | null;
  sinks: Record<
    string,
    { lagEntries: number; lagBytes: number; lagSeconds: number | null; throughput: number | null; dlqSize: number }
  >;
}

export interface TailEvent {
  partition: number;
  id: string;
  op: string;
  table: string;
  key: unknown;
  commitTs: string | null;
  /** True when the key preview was cut (`?full=1` for operators). */
  truncated?: boolean;
}

export interface TailBatch {
  t: number;
  /** Events seen in this interval; `events` holds at most the sample size of them. */
  seen: number;
  events: TailEvent[];
}

export interface CompactionStatus {
  policy: { mode: 'compact' | 'time'; tombstones: number; minLag: number; maxAge: number; every: number };
  entries: number;
  memoryBytes: number;
  partitions: { partition: number; length: number; memoryBytes: number | null }[];
  /** The last run started from this admin process (the workers' scheduled runs report in their metrics). */
  lastRun: { at: string; report: unknown } | null;
  /** The newest completed run of the workers' BullMQ maintenance job. */
  lastScheduledRun: { at: string; report: unknown } | null;
}

export interface SnapshotJob {
  id: string;
  kind: 'initial' | 'incremental';
  status: string | null;
  /** 0..1 when the job reports enough to tell; null otherwise. */
  progress: number | null;
  rowsDone: number | null;
  rowsTotal: number | null;
  tables: string[];
  createdAt: string | null;
  /** The job's hash as stored (keys.initialSnapshot() / keys.snapshot(id)). */
  fields: Record<string, unknown>;
}
