import type { Row } from '@distributary/core';
import type { SnapshotProgress } from './progress';

/** What to snapshot: a whole table, a WHERE subset (operator-supplied SQL), or a list of keys. */
export interface IncrementalSnapshotRequest {
  table: string;
  where?: string;
  keys?: Row[];
  chunkSize?: number;
  /** Why it was started: 'cli', 'admin', 'config: sink product-search added', 'verify repair'… */
  reason?: string;
}

export type SnapshotStatus = 'queued' | 'running' | 'paused' | 'cancelled' | 'done' | 'failed';

export interface SnapshotRecord extends IncrementalSnapshotRequest {
  id: string;
  status: SnapshotStatus;
  chunks: number;
  rowsDone: number;
  dropped: number;
  estimatedTotal: number;
  /** Keyset cursor after the last appended chunk (JSON of key texts). */
  after?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
  progress: SnapshotProgress;
}

/**
 * Where an incremental snapshot's record lives (the control plane's SnapshotRequests, in the log
 * Redis): the runner reads it between chunks (pause, cancel) and records progress after each chunk
 * is durably in the log.
 */
export interface SnapshotStore {
  get(id: string): Promise<SnapshotRecord | null>;
  update(id: string, fields: Record<string, string | number>): Promise<void>;
}

/**
 * Where the initial snapshot keeps its progress (status, consistent point, seq counter, per-table
 * cursor): a record of string fields read as a whole and written field by field.
 */
export interface InitialSnapshotStore {
  read(): Promise<Record<string, string>>;
  write(fields: Record<string, string | number>): Promise<void>;
}
