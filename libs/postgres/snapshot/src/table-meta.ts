import type { Pool, PoolClient } from 'pg';
import { SourceShapeError } from '@distributary/core';
import { quoteTable } from '@distributary/pg-catalog';

export type Queryable = Pool | PoolClient;

export interface SnapshotColumn {
  name: string;
  typeOid: number;
  /** format_type() of the column, used to cast keyset-paging parameters. */
  sqlType: string;
}

export interface SnapshotTableMeta {
  table: string;
  columns: SnapshotColumn[];
  /** Primary-key columns in index order: the keyset-paging order. */
  keyColumns: string[];
}

/** Columns and primary key of a table, read from the catalog (inside the snapshot transaction). */
export async function describeSnapshotTable(db: Queryable, table: string): Promise<SnapshotTableMeta> {
  const { rows } = await db.query<{ name: string; oid: string; sql_type: string; key_pos: string | null }>(
    `SELECT a.attname AS name, a.atttypid::int::text AS oid, format_type(a.atttypid, a.atttypmod) AS sql_type,
            array_position(i.indkey::int2[], a.attnum)::text AS key_pos
       FROM pg_attribute a
       LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
        -- Generated columns are not in logical replication's rows (PostgreSQL < 18, or a publication
        -- without publish_generated_columns): leave them out here too, so every row has one shape.
        AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [table],
  );
  if (rows.length === 0) throw new SourceShapeError(`table ${table} has no columns or does not exist`);
  const keyColumns = rows
    .filter((r) => r.key_pos !== null)
    .sort((a, b) => Number(a.key_pos) - Number(b.key_pos))
    .map((r) => r.name);
  if (keyColumns.length === 0)
    throw new SourceShapeError(
      `table ${table} has no primary key, so it cannot be snapshotted in key-ordered chunks: add a primary key`,
    );
  return {
    table,
    columns: rows.map((r) => ({ name: r.name, typeOid: Number(r.oid), sqlType: r.sql_type })),
    keyColumns,
  };
}

/** Planner estimate of the row count (for progress and ETA); an exact count when never analysed. */
export async function estimateRows(db: Queryable, table: string, where?: string): Promise<number> {
  if (where) {
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${quoteTable(table)} WHERE ${where}`,
    );
    return Number(rows[0].n);
  }
  const { rows } = await db.query<{ n: string }>(
    `SELECT reltuples::bigint::text AS n FROM pg_class WHERE oid = $1::regclass`,
    [table],
  );
  const estimate = Number(rows[0]?.n ?? -1);
  if (estimate >= 0) return estimate;
  const counted = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteTable(table)}`);
  return Number(counted.rows[0].n);
}
