import {
  RetryableError,
  positionToId,
  type ApplyResult,
  type ChangeEvent,
  type RejectedEvent,
  type Sink,
  type SinkBatch,
} from '@distributary/core';
import type { RedisClient } from '@distributary/changelog';

/** What the recording sink stores per applied event (a Redis list per partition). */
export interface AppliedRecord {
  id: string;
  table: string;
  key: string;
  worker: string;
  token: number;
}

export interface RecordingSinkOptions {
  name: string;
  tables: string[];
  redis: RedisClient;
  /** Key prefix for the records; keep it inside the test namespace's hash tags. */
  prefix: string;
  worker: string;
  /** Fail the first N apply() calls: the first half with an unexpected Error, the rest with RetryableError. */
  failFirst?: number;
  /** Throw RetryableError from the first N open() calls (target not up yet). */
  failOpenFirst?: number;
  /** Events to reject (dead-letter). */
  reject?: (event: ChangeEvent) => string | undefined;
}

/** A real Sink for tests: it "writes" each applied event to Redis, so tests can check what arrived. */
export class RecordingSink implements Sink {
  readonly kind = 'redis';
  readonly name: string;
  readonly tables: readonly string[];
  calls = 0;
  opens = 0;
  opened = false;
  reject: RecordingSinkOptions['reject'];

  constructor(private readonly options: RecordingSinkOptions) {
    this.name = options.name;
    this.tables = options.tables;
    this.reject = options.reject;
  }

  static listKey(prefix: string, partition: number): string {
    return `${prefix}:applied:${partition}`;
  }

  async open(): Promise<void> {
    this.opens++;
    if (this.opens <= (this.options.failOpenFirst ?? 0)) throw new RetryableError('target not reachable yet');
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  async apply(batch: SinkBatch): Promise<ApplyResult> {
    this.calls++;
    if (this.calls <= (this.options.failFirst ?? 0))
      throw new RetryableError(`target unavailable (call ${this.calls})`);
    const rejected: RejectedEvent[] = [];
    const records: string[] = [];
    for (const event of batch.events) {
      const reason = this.reject?.(event);
      if (reason) {
        rejected.push({ event, error: reason });
        continue;
      }
      const record: AppliedRecord = {
        id: positionToId(event.pos),
        table: event.table,
        key: JSON.stringify(event.key),
        worker: this.options.worker,
        token: batch.fencingToken,
      };
      records.push(JSON.stringify(record));
    }
    if (records.length)
      await this.options.redis.rpush(RecordingSink.listKey(this.options.prefix, batch.partition), ...records);
    return { applied: records.length, skippedAsStale: 0, rejected };
  }
}

export async function appliedRecords(redis: RedisClient, prefix: string, partition: number): Promise<AppliedRecord[]> {
  return (await redis.lrange(RecordingSink.listKey(prefix, partition), 0, -1)).map(
    (r) => JSON.parse(r) as AppliedRecord,
  );
}
