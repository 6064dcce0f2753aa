import { START_ID } from '@distributary/core';
import type { LogKeys } from './keys';
import type { RedisClient } from './redis-connection';
import { bufferToLogEntry, type LogEntry, type RawBufferEntry } from './stream-entries';

export interface ReadOptions {
  /** Most entries per batch. */
  count?: number;
  /** Wait up to this long for new entries when there are none (XREAD BLOCK); omit to not wait. Use
   *  a connection of its own for blocking reads: a blocked connection delays every other command. */
  blockMs?: number;
}

/**
 * Reads one partition of the change log after `afterId` (exclusive), in entry-ID order. Entry IDs
 * are positions, so the batch's last ID is what a sink commits once the batch is applied.
 */
export async function readPartition(
  redis: RedisClient,
  keys: LogKeys,
  partition: number,
  afterId: string = START_ID,
  options: ReadOptions = {},
): Promise<LogEntry[]> {
  const count = options.count ?? 500;
  const stream = keys.partition(partition);
  // Buffer replies: ioredis does not convert every field to a string; bufferToLogEntry converts only
  // what decoding needs
  const reply =
    options.blockMs !== undefined
      ? await redis.xreadBuffer('COUNT', count, 'BLOCK', options.blockMs, 'STREAMS', stream, afterId)
      : await redis.xreadBuffer('COUNT', count, 'STREAMS', stream, afterId);
  if (!reply || reply.length === 0) return [];
  return (reply[0][1] as RawBufferEntry[]).map(bufferToLogEntry);
}

/** Entries of one partition in [start, end] (inclusive; '-' and '+' for the ends), at most `count`. */
export async function readRange(
  redis: RedisClient,
  keys: LogKeys,
  partition: number,
  start = '-',
  end = '+',
  count = 1000,
): Promise<LogEntry[]> {
  const raw = (await redis.xrangeBuffer(keys.partition(partition), start, end, 'COUNT', count)) as RawBufferEntry[];
  return raw.map(bufferToLogEntry);
}

/** Every entry of one partition after `afterId`, page by page (for replays from the start). */
export async function* readAll(
  redis: RedisClient,
  keys: LogKeys,
  partition: number,
  afterId: string = START_ID,
  pageSize = 1000,
): AsyncGenerator<LogEntry[]> {
  let cursor = afterId;
  for (;;) {
    const page = await readPartition(redis, keys, partition, cursor, { count: pageSize });
    if (page.length === 0) return;
    yield page;
    cursor = page[page.length - 1].id;
  }
}
