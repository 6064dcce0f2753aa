import type { Row } from '@distributary/core';
import { quoteIdent, quoteTable } from '@distributary/pg-catalog';
import { convertValue, type TypeLookup, type ValueKind } from '@distributary/pg-decode';
import type { Queryable, SnapshotTableMeta } from './table-meta';

/** The key of the last row of a chunk, as the server's text of each key column. */
export type KeyCursor = (string | null)[];

export interface Chunk {
  rows: Row[];
  /** Cursor to continue after this chunk; null when the table (or subset) is exhausted. */
  next: KeyCursor | null;
  /** Characters of server text the chunk's values took: the measure of what it holds in memory. */
  bytes: number;
}

/**
 * Reads one primary-key-ordered chunk with keyset paging: `WHERE (k1, k2) > ($1, $2) ORDER BY k1, k2
 * LIMIT n`, and with `upTo` also `AND (k1, k2) <= (…)` (one key range of a table read in parallel).
 * Memory stays bounded on any table size, and a resumed snapshot starts after the last key.
 * Values come back as server text (a raw-text pool) and are converted exactly like streamed rows.
 */
export async function readChunk(
  db: Queryable,
  meta: SnapshotTableMeta,
  types: TypeLookup,
  after: KeyCursor | null,
  limit: number,
  where?: string,
  upTo?: KeyCursor,
): Promise<Chunk> {
  const keyIdents = meta.keyColumns.map(quoteIdent).join(', ');
  const conditions: string[] = [];
  const params: (string | null)[] = [];
  const bound = (cursor: KeyCursor, op: '>' | '<=') => {
    const casts = meta.keyColumns.map((name, i) => {
      params.push(cursor[i]);
      const column = meta.columns.find((c) => c.name === name);
      return `$${params.length}::${column?.sqlType ?? 'text'}`;
    });
    conditions.push(`(${keyIdents}) ${op} (${casts.join(', ')})`);
  };
  if (after) bound(after, '>');
  if (upTo) bound(upTo, '<=');
  if (where) conditions.push(`(${where})`);
  const sql =
    `SELECT ${meta.columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${quoteTable(meta.table)}` +
    (conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '') +
    ` ORDER BY ${keyIdents} LIMIT ${Math.max(1, Math.floor(limit))}`;
  const result = await db.query({ text: sql, values: params, rowMode: 'array' });
  const raw = result.rows as (string | null)[][];
  const kinds = await Promise.all(meta.columns.map((c) => types.resolve(c.typeOid)));
  const { rows, bytes } = convertRows(meta, kinds, raw);
  const last = raw[raw.length - 1];
  const keyIndexes = meta.keyColumns.map((name) => meta.columns.findIndex((c) => c.name === name));
  return { rows, bytes, next: raw.length < limit || !last ? null : keyIndexes.map((i) => last[i]) };
}

/** Server text → rows by the type contract, one plain loop per row (this runs for every snapshot value). */
function convertRows(
  meta: SnapshotTableMeta,
  kinds: ValueKind[],
  raw: (string | null)[][],
): { rows: Row[]; bytes: number } {
  const names = meta.columns.map((c) => c.name);
  const width = names.length;
  const rows: Row[] = new Array<Row>(raw.length);
  let bytes = 0;
  for (let r = 0; r < raw.length; r++) {
    const values = raw[r];
    const row: Row = {};
    for (let i = 0; i < width; i++) {
      const text = values[i];
      if (text !== null) bytes += text.length;
      row[names[i]] = convertValue(text, kinds[i]);
    }
    rows[r] = row;
  }
  return { rows, bytes };
}

export function keyOf(meta: SnapshotTableMeta, row: Row): Row {
  const key: Row = {};
  for (const name of meta.keyColumns) key[name] = row[name];
  return key;
}
