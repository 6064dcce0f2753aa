import { Cluster } from 'ioredis';
import {
  DistributaryError,
  encodeEvent,
  partitionFor,
  type ChangeEvent,
  type Lsn,
  type TxMarker,
} from '@distributary/core';
import type { LogKeys } from './keys';
import type { RedisClient } from './redis-connection';
import { encodeTxMarker } from './tx-marker';

/**
 * The append side of the change log. Invariants:
 * - partition = partitionFor(table, key, N); a truncate goes to every partition (it concerns all keys).
 * - every entry is XADDed with its explicit ID `<commitLsn>-<seq>`; within one stream the entries of
 *   a batch are pipelined in order. Redis refuses an ID not above the stream's top, which makes a
 *   re-append after a crash a counted no-op ("duplicate"), never a failure and never a duplicate entry.
 * - any other error rejects the whole append: the caller must not confirm anything from that batch.
 */
export class PartitionCountMismatchError extends DistributaryError {}

export interface AppendResult {
  appended: number;
  /** Entries refused because the stream already holds them (re-append after a crash). */
  duplicates: number;
  /**
   * Refused entries that the stream does NOT hold (`<stream> <id>`): their ID is below the stream's
   * top but absent — compacted away, or a real gap. Should stay empty; callers log it loudly.
   */
  absent: string[];
}

export interface TxMarkerInput {
  commitLsn: Lsn;
  marker: Omit<TxMarker, 'commitLsn'>;
}

interface Entry {
  stream: string;
  id: string;
  fields: Record<string, string>;
}

const DUPLICATE_ID = /equal or smaller than the target stream top item/i;

export class LogAppender {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: LogKeys,
    readonly partitions: number,
  ) {}

  /** Records N in the log's meta key on first use; refuses a log created with another N. */
  async ensurePartitionCount(): Promise<void> {
    const meta = this.keys.meta();
    await this.redis.hsetnx(meta, 'partitions', String(this.partitions));
    await this.redis.hsetnx(meta, 'createdAt', new Date().toISOString());
    const recorded = Number(await this.redis.hget(meta, 'partitions'));
    if (recorded !== this.partitions)
      throw new PartitionCountMismatchError(
        `log.partitions is ${this.partitions} but the change log in namespace "${this.keys.namespace}" was created ` +
          `with ${recorded} partitions: set log.partitions: ${recorded}, or use a new log.namespace and re-snapshot`,
      );
  }

  /** Appends events (and optional transaction markers) in one round trip per stream group. */
  async append(events: readonly ChangeEvent[], markers: readonly TxMarkerInput[] = []): Promise<AppendResult> {
    const entries: Entry[] = [];
    for (const { commitLsn, marker } of markers) {
      const encoded = encodeTxMarker(commitLsn, marker);
      entries.push({ stream: this.keys.transactions(), ...encoded });
    }
    for (const event of events) {
      const encoded = encodeEvent(event);
      if (event.op === 't') {
        for (let p = 0; p < this.partitions; p++) entries.push({ stream: this.keys.partition(p), ...encoded });
      } else {
        entries.push({ stream: this.keys.partition(this.partitionOf(event)), ...encoded });
      }
    }
    return this.write(entries);
  }

  partitionOf(event: Pick<ChangeEvent, 'table' | 'key'>): number {
    return partitionFor(event.table, event.key, this.partitions);
  }

  private async write(entries: Entry[]): Promise<AppendResult> {
    if (entries.length === 0) return { appended: 0, duplicates: 0, absent: [] };
    // Redis Cluster pipelines may only touch one slot: one pipeline per stream there.
    const groups = this.redis instanceof Cluster ? [...groupBy(entries, (e) => e.stream).values()] : [entries];
    const results = await Promise.all(groups.map((group) => this.writeGroup(group)));
    return results.reduce((a, b) => ({
      appended: a.appended + b.appended,
      duplicates: a.duplicates + b.duplicates,
      absent: [...a.absent, ...b.absent],
    }));
  }

  private async writeGroup(entries: Entry[]): Promise<AppendResult> {
    const pipeline = this.redis.pipeline();
    for (const entry of entries) {
      const args: string[] = [];
      for (const [field, value] of Object.entries(entry.fields)) args.push(field, value);
      pipeline.xadd(entry.stream, entry.id, ...args);
    }
    const replies = (await pipeline.exec()) ?? [];
    if (replies.length !== entries.length)
      throw new Error(`log append: ${replies.length} replies for ${entries.length} entries`);
    let appended = 0;
    const refused: Entry[] = [];
    replies.forEach(([error], index) => {
      if (!error) appended++;
      else if (DUPLICATE_ID.test(error.message)) refused.push(entries[index]);
      else throw error;
    });
    return { appended, duplicates: refused.length, absent: await this.absentOf(refused) };
  }

  /** Which refused entries the stream does not actually hold (one XRANGE id id each, pipelined). */
  private async absentOf(refused: Entry[]): Promise<string[]> {
    if (refused.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const entry of refused) pipeline.xrange(entry.stream, entry.id, entry.id);
    const replies = (await pipeline.exec()) ?? [];
    const absent: string[] = [];
    replies.forEach(([error, found], index) => {
      if (error) throw error;
      if (!Array.isArray(found) || found.length === 0) absent.push(`${refused[index].stream} ${refused[index].id}`);
    });
    return absent;
  }
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
