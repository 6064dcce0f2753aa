import type { Pool } from 'pg';
import type { Row } from '@distributary/core';
import { describeSnapshotTable, readChunk, type KeyCursor, type TypeResolver } from '@distributary/pg-source';

/**
 * Every row of a source table (or of a WHERE subset), in primary-key chunks, converted exactly like the
 * connector converts streamed and snapshot rows (pg-source's chunk reader over a raw-text pool), so an
 * expected value built from these rows equals one built from the events.
 */
export async function* scanSourceTable(
  pool: Pool,
  types: TypeResolver,
  table: string,
  options: { chunkSize?: number; where?: string } = {},
): AsyncGenerator<{ rows: Row[]; keyColumns: string[] }> {
  const meta = await describeSnapshotTable(pool, table);
  let after: KeyCursor | null = null;
  do {
    const chunk = await readChunk(pool, meta, types, after, options.chunkSize ?? 1000, options.where);
    yield { rows: chunk.rows, keyColumns: meta.keyColumns };
    after = chunk.next;
  } while (after);
}

export function pickKey(row: Row, keyColumns: readonly string[]): Row {
  return Object.fromEntries(keyColumns.map((c) => [c, row[c]]));
}
