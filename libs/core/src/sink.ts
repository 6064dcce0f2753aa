import type { ChangeEvent } from './event';

/**
 * The one contract every sink implements. The worker owns reading, ownership, retries, dead letters
 * and position commits; a sink only knows how to make its target reflect a batch of events.
 *
 * Rules a sink must keep:
 * - apply() is idempotent: applying any stretch of the log again changes nothing (version guards).
 * - when apply() resolves, its effects are durable in the target; the worker then commits positions.
 * - a target that is down or overloaded throws RetryableError (the worker retries with backoff and
 *   stops reading); an event that can never be written is returned in `rejected` (dead-lettered).
 * - a sink that stores positions in its own target transaction (exactly-once, e.g. materialized views)
 *   sets `storesPositions` and implements storedPositions(); the worker resumes from what it returns.
 */
export interface SinkBatch {
  sink: string;
  partition: number;
  events: ChangeEvent[];
  /** Entry ID of the last event in the batch: the position to commit once applied. */
  lastId: string;
  /** Fencing token of the lease under which this batch was read. */
  fencingToken: number;
}

export interface RejectedEvent {
  event: ChangeEvent;
  error: string;
}

export interface ApplyResult {
  applied: number;
  skippedAsStale: number;
  rejected: RejectedEvent[];
}

export interface SinkLagInfo {
  description: string;
  [metric: string]: unknown;
}

export interface Sink {
  readonly name: string;
  readonly kind: 'elasticsearch' | 'redis-cache' | 'materialized-view' | string;
  /** Tables whose events this sink needs (root, joined and lookup tables). */
  readonly tables: readonly string[];
  readonly storesPositions?: boolean;
  open(): Promise<void>;
  apply(batch: SinkBatch): Promise<ApplyResult>;
  storedPositions?(): Promise<Map<number, string>>;
  close(): Promise<void>;
  describe?(): Promise<SinkLagInfo>;
}
