/**
 * Dead letters of a sink: events it could not write (mapping conflict, bad value), with the error,
 * the time and the partition. Nothing is lost: an entry leaves the dead-letter stream only when a
 * replay applied it or someone dropped it on purpose.
 */
import {
  RetryableError,
  decodeEvent,
  encodeEvent,
  positionToId,
  type ChangeEvent,
  type Sink,
} from '@distributary/core';
import type { LogKeys } from './keys';
import type { RedisClient } from './redis-connection';
import { fieldsOf, type RawStreamEntry } from './stream-entries';
import { nothingAfterStreamId } from './exclusive-range';

export interface DeadLetter {
  /** ID of the dead-letter entry (not of the event). */
  id: string;
  event: ChangeEvent;
  error: string;
  /** ISO time the event was dead-lettered. */
  time: string;
  partition: number;
}

export interface DeadLetterPage {
  items: DeadLetter[];
  /** Pass as `after` for the next page; undefined when this was the last one. */
  next?: string;
}

export async function appendDeadLetter(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  partition: number,
  event: ChangeEvent,
  error: string,
): Promise<string> {
  const encoded = encodeEvent(event);
  const id = await redis.xadd(
    keys.deadLetters(sink),
    '*',
    'id',
    encoded.id,
    'event',
    JSON.stringify(encoded.fields),
    'error',
    error,
    'time',
    new Date().toISOString(),
    'partition',
    String(partition),
  );
  return id as string;
}

function toDeadLetter([id, raw]: RawStreamEntry): DeadLetter {
  const fields = fieldsOf(raw);
  return {
    id,
    event: decodeEvent(fields.id, JSON.parse(fields.event) as Record<string, string>),
    error: fields.error,
    time: fields.time,
    partition: Number(fields.partition),
  };
}

export async function deadLetterCount(redis: RedisClient, keys: LogKeys, sink: string): Promise<number> {
  return redis.xlen(keys.deadLetters(sink));
}

/** A page of dead-letter entries as stored (fields not decoded), oldest first, after the entry ID
 *  `after` (exclusive): the one pagination the typed reader below and the admin API's tolerant view share. */
export async function deadLetterEntries(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  options: { after?: string; limit?: number } = {},
): Promise<{ entries: RawStreamEntry[]; next?: string }> {
  const limit = options.limit ?? 50;
  if (options.after && nothingAfterStreamId(options.after)) return { entries: [], next: undefined };
  const start = options.after ? `(${options.after}` : '-';
  const raw = (await redis.xrange(keys.deadLetters(sink), start, '+', 'COUNT', limit + 1)) as RawStreamEntry[];
  const entries = raw.slice(0, limit);
  return { entries, next: raw.length > limit ? entries[entries.length - 1][0] : undefined };
}

/** A page of dead letters, oldest first, after the entry ID `after` (exclusive). */
export async function listDeadLetters(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  options: { after?: string; limit?: number } = {},
): Promise<DeadLetterPage> {
  const page = await deadLetterEntries(redis, keys, sink, options);
  return { items: page.entries.map(toDeadLetter), next: page.next };
}

export async function getDeadLetters(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  ids: string[],
): Promise<DeadLetter[]> {
  const found: DeadLetter[] = [];
  for (const id of ids) {
    const raw = (await redis.xrange(keys.deadLetters(sink), id, id)) as RawStreamEntry[];
    if (raw.length) found.push(toDeadLetter(raw[0]));
  }
  return found;
}

/**
 * Drop dead letters by ID, or all of them (`'all'`). Returns how many were removed. "All" means every
 * letter that exists now: the stream is trimmed below the successor of its newest ID, so a letter
 * dead-lettered meanwhile stays.
 */
export async function dropDeadLetters(
  redis: RedisClient,
  keys: LogKeys,
  sink: string,
  ids: string[] | 'all',
): Promise<number> {
  const key = keys.deadLetters(sink);
  if (ids !== 'all') return ids.length === 0 ? 0 : redis.xdel(key, ...ids);
  const newest = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as RawStreamEntry[];
  if (newest.length === 0) return 0;
  const [ms, seq] = newest[0][0].split('-');
  return Number(await redis.xtrim(key, 'MINID', `${ms}-${BigInt(seq) + 1n}`));
}

export interface DeadLetterReplayResult {
  replayed: number;
  /** Still failing: kept (re-appended with the new error). */
  failed: number;
  /** New dead-letter IDs of the ones still failing. */
  failedIds: string[];
}

/**
 * Re-applies dead letters through the sink (all, or the given IDs), oldest first. The ones that
 * succeed are removed; the ones rejected again stay with the new error. A RetryableError (target
 * down) stops the replay and is thrown; what was not replayed stays where it was.
 */
export async function replayDeadLetters(
  redis: RedisClient,
  keys: LogKeys,
  sink: Sink,
  options: { ids?: string[] } = {},
): Promise<DeadLetterReplayResult> {
  const result: DeadLetterReplayResult = { replayed: 0, failed: 0, failedIds: [] };
  const pending = options.ids
    ? await getDeadLetters(redis, keys, sink.name, options.ids)
    : await allDeadLetters(redis, keys, sink.name);
  for (const letter of pending) {
    let error: string | undefined;
    try {
      const outcome = await sink.apply({
        sink: sink.name,
        partition: letter.partition,
        events: [letter.event],
        lastId: positionToId(letter.event.pos),
        fencingToken: 0,
      });
      error = outcome.rejected[0]?.error;
    } catch (thrown) {
      if (thrown instanceof RetryableError) throw thrown;
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    if (error === undefined) {
      await redis.xdel(keys.deadLetters(sink.name), letter.id);
      result.replayed++;
    } else {
      const newId = await appendDeadLetter(redis, keys, sink.name, letter.partition, letter.event, error);
      await redis.xdel(keys.deadLetters(sink.name), letter.id);
      result.failed++;
      result.failedIds.push(newId);
    }
  }
  return result;
}

/** Every dead letter of a sink, oldest first, read page by page. */
export async function allDeadLetters(redis: RedisClient, keys: LogKeys, sink: string): Promise<DeadLetter[]> {
  const all: DeadLetter[] = [];
  let after: string | undefined;
  do {
    const page = await listDeadLetters(redis, keys, sink, { after, limit: 500 });
    all.push(...page.items);
    after = page.next;
  } while (after);
  return all;
}
