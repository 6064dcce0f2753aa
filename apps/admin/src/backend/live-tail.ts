import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import { decodeEvent } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import { PipelineConnections } from './pipeline-connections';
import { preview, PREVIEW_BUDGET } from './preview';
import type { TailBatch, TailEvent } from '@distributary/admin-contract';

const READ_COUNT = 1000;

async function lastId(redis: RedisClient, key: string): Promise<string> {
  const newest = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
  return newest.length ? newest[0][0] : '0-0';
}

/** One tail event; its key is cut to a bounded preview unless `full` (operators, `?full=1`). */
export function toTailEvent(partition: number, id: string, flat: string[], full = false): TailEvent {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  const shown = (event: Omit<TailEvent, 'truncated'>): TailEvent => {
    if (full) return event;
    const { value, truncated } = preview(event, PREVIEW_BUDGET);
    return truncated ? { ...value, truncated } : value;
  };
  try {
    const event = decodeEvent(id, fields);
    return shown({ partition, id, op: event.op, table: event.table, key: event.key, commitTs: event.commitTs ?? null });
  } catch {
    return shown({ partition, id, op: fields.o ?? '?', table: '?', key: fields.k ?? null, commitTs: null });
  }
}

export function evenSample<T>(items: T[], size: number): T[] {
  if (items.length <= size) return items;
  const step = items.length / size;
  return Array.from({ length: size }, (_, i) => items[Math.floor(i * step)]);
}

/**
 * A sampled live tail: starts at each partition's end, reads what was appended since (non-blocking
 * XREAD per partition, so it works on Redis Cluster where partitions live on different shards) and
 * emits at most `sample` events per interval, spread evenly over what arrived.
 */
export function liveTail(
  redis: RedisClient,
  keys: LogKeys,
  partitions: number,
  options: { sample: number; intervalMs?: number; full?: boolean },
): Observable<TailBatch> {
  return new Observable<TailBatch>((subscriber) => {
    const cursors: string[] = [];
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;

    const readAll = async (): Promise<TailBatch> => {
      const found: TailEvent[] = [];
      await Promise.all(
        cursors.map(async (cursor, n) => {
          const reply = (await redis.xread('COUNT', READ_COUNT, 'STREAMS', keys.partition(n), cursor)) as
            [string, [string, string[]][]][] | null;
          const entries = reply?.[0]?.[1] ?? [];
          for (const [id, flat] of entries) found.push(toTailEvent(n, id, flat, options.full));
          if (entries.length) cursors[n] = entries[entries.length - 1][0];
          // Far behind (a burst): skip to the end rather than fall further behind.
          if (entries.length === READ_COUNT) cursors[n] = await lastId(redis, keys.partition(n));
        }),
      );
      found.sort((a, b) => (a.commitTs ?? '').localeCompare(b.commitTs ?? '') || a.partition - b.partition);
      return { t: Date.now(), seen: found.length, events: evenSample(found, options.sample) };
    };

    const tick = (): void => {
      readAll()
        .then((batch) => {
          if (!stopped) subscriber.next(batch);
        })
        .catch((error: unknown) => {
          if (!stopped) subscriber.error(error);
        })
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, options.intervalMs ?? 1000);
        });
    };

    Promise.all(Array.from({ length: partitions }, (_, n) => lastId(redis, keys.partition(n))))
      .then((ids) => {
        cursors.push(...ids);
        if (!stopped) timer = setTimeout(tick, options.intervalMs ?? 1000);
      })
      .catch((error: unknown) => subscriber.error(error));

    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  });
}

/** The live tail of this admin's log (the events controller's server-sent stream). */
@Injectable()
export class LiveTail {
  constructor(@Inject(PipelineConnections) private readonly connections: PipelineConnections) {}

  tail(sample: number, full = false): Observable<TailBatch> {
    const { redis, keys, partitionCount } = this.connections;
    return liveTail(redis, keys, partitionCount, { sample, full });
  }
}
