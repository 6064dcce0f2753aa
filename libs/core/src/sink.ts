import type { ChangeEvent } from './event';

/**
 * The sink kinds, one name each, used everywhere: the configuration key that selects a sink
 * (`elasticsearch:` / `redis:` / `view:`), `status --json`, and the fingerprint stored in Redis.
 */
export type SinkKind = 'elasticsearch' | 'redis' | 'view';

/** A batch of consecutive events of one partition, read under one lease, for one sink. */
export interface SinkBatch {
  sink: string;
  partition: number;
  events: ChangeEvent[];
  /** Entry ID of the last event in the batch: the position to commit once applied. */
  lastId: string;
  /** Fencing token of the lease under which this batch was read. */
  fencingToken: number;
  /**
   * This partition's events of the transaction `events[0]` belongs to that came before `events[0]`
   * (the transaction began in an earlier batch), a page at a time, in log order. Given by the worker
   * for live batches; absent elsewhere (rebuilds, repairs, tests of one batch).
   */
  earlierInTransaction?(): AsyncIterable<ChangeEvent[]>;
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
export interface Sink {
  readonly name: string;
  readonly kind: SinkKind;
  /** Tables whose events this sink needs (root, joined and lookup tables). */
  readonly tables: readonly string[];
  readonly storesPositions?: boolean;
  /**
   * How many batches of one partition apply() takes at once (default 1). Above 1, apply() may be
   * called for a partition's next batch before the previous call resolved, and the sink makes each
   * call's effects land after the previous call's, per key, as if called one after the other (the
   * worker commits positions strictly in order; if a batch fails, it re-applies that batch and every
   * later one, in order).
   */
  readonly batchesInFlight?: number;
  open(): Promise<void>;
  apply(batch: SinkBatch): Promise<ApplyResult>;
  storedPositions?(): Promise<Map<number, string>>;
  close(): Promise<void>;
  describe?(): Promise<SinkLagInfo>;
}
