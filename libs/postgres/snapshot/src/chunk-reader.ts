import type { Row } from '@distributary/core';
import { quoteIdent, quoteTable } from '@distributary/pg-catalog';
import { convertValue, type TypeLookup } from '@distributary/pg-decode';
import type { Queryable, SnapshotTableMeta } from './table-meta';

/** The key of the last row of a chunk, as the server's text of each key column. */
export type KeyCursor = (string | null)[];

export interface Chunk {
  rows: Row[];
  /** Cursor to continue after this chunk; null when the table (or subset) is exhausted. */
  next: KeyCursor | null;
}

/**
 * Reads one primary-key-ordered chunk with keyset paging: `WHERE (k1, k2) > ($1, $2) ORDER BY k1, k2
 * LIMIT n`. Memory stays bounded on any table size, and a resumed snapshot starts after the last key.
 * Values come back as server text (a raw-text pool) and are converted exactly like streamed rows.
 */
export async function readChunk(
  db: Queryable,
  meta: SnapshotTableMeta,
  types: TypeLookup,
  after: KeyCursor | null,
  limit: number,
  where?: string,
): Promise<Chunk> {
  const keyIdents = meta.keyColumns.map(quoteIdent);
  const conditions: string[] = [];
  const params: (string | null)[] = [];
  if (after) {
    const casts = meta.keyColumns.map((name, i) => {
      params.push(after[i]);
      const column = meta.columns.find((c) => c.name === name);
      return `$${i + 1}::${column?.sqlType ?? 'text'}`;
    });
    conditions.push(`(${keyIdents.join(', ')}) > (${casts.join(', ')})`);
  }
  if (where) conditions.push(`(${where})`);
  const sql =
    `SELECT ${meta.columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${quoteTable(meta.table)}` +
    (conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '') +
    ` ORDER BY ${keyIdents.join(', ')} LIMIT ${Math.max(1, Math.floor(limit))}`;
  const result = await db.query({ text: sql, values: params, rowMode: 'array' });
  const raw = result.rows as (string | null)[][];
  const kinds = await Promise.all(meta.columns.map((c) => types.resolve(c.typeOid)));
  const rows = raw.map((values) => {
    const row: Row = {};
    meta.columns.forEach((column, i) => (row[column.name] = convertValue(values[i], kinds[i])));
    return row;
  });
  const last = raw[raw.length - 1];
  const keyIndexes = meta.keyColumns.map((name) => meta.columns.findIndex((c) => c.name === name));
  return { rows, next: raw.length < limit || !last ? null : keyIndexes.map((i) => last[i]) };
}

export function keyOf(meta: SnapshotTableMeta, row: Row): Row {
  return Object.fromEntries(meta.keyColumns.map((name) => [name, row[name]]));
}
