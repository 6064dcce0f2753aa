import type { PoolClient } from 'pg';
import type { TypeLookup } from '@distributary/pg-decode';
import type { SnapshotAppendQueue, UnpositionedEvent } from './append-queue';
import { keyOf, readChunk, type KeyCursor } from './chunk-reader';
import type { KeyRange } from './range-state';
import type { TablePlan } from './table-plan';

export interface RangeReadOptions {
  client: PoolClient;
  plan: TablePlan;
  range: KeyRange;
  types: TypeLookup;
  chunkSize: number;
  queue: SnapshotAppendQueue;
  /** The progress fields of a chunk of `count` rows ending at `next` (null: the range is done). */
  progress(count: number, next: KeyCursor | null): (nextSeq: number) => Record<string, string | number>;
  /** Called once a chunk is in the log and recorded. */
  recorded(): void;
}

/**
 * Reads one key range chunk by chunk on its connection and hands each chunk to the append queue; the
 * next chunk is read while earlier ones are appended, as long as the queue has room.
 */
export async function readRange(options: RangeReadOptions): Promise<void> {
  const { client, plan, range, queue } = options;
  const { meta } = plan;
  let after = range.after;
  for (;;) {
    await queue.room();
    const chunk = await readChunk(client, meta, options.types, after, options.chunkSize, undefined, range.upTo);
    const events = new Array<UnpositionedEvent>(chunk.rows.length);
    for (let i = 0; i < chunk.rows.length; i++) {
      const row = chunk.rows[i];
      events[i] = { op: 'r', table: meta.table, key: keyOf(meta, row), after: row, snapshot: 'initial' };
    }
    queue.enqueue(events, chunk.bytes, options.progress(events.length, chunk.next), options.recorded);
    if (!chunk.next) return;
    after = chunk.next;
  }
}
