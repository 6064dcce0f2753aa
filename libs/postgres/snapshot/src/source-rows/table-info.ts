import type { Pool } from 'pg';
import { SourceShapeError, type SourceTable } from '@distributary/core';
import { quoteTable, type TypeResolver } from '@distributary/pg-catalog';
import type { ValueKind } from '@distributary/pg-decode';

/** How a column's text is converted: its type OID as row descriptions report it (to notice a changed
 *  column) and its value kind. */
export interface ColumnKind {
  oid: number;
  kind: ValueKind;
}

/** A source table's description (SourceTable) with each column's resolved value kind. Loaded once per
 *  table, outside any transaction the reader holds. */
export interface TableInfo extends SourceTable {
  kinds: Map<string, ColumnKind>;
}

const COLUMNS_SQL = `
SELECT a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       array_position(i.indkey::int2[], a.attnum) AS pk_position
FROM pg_attribute a
LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

/** Follows each column's type through domains and array element types to the base type. */
const BASE_TYPES_SQL = `
WITH RECURSIVE chain AS (
  SELECT a.attname AS name, a.atttypid AS type_oid, 0 AS depth
  FROM pg_attribute a
  WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT c.name, CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END, c.depth + 1
  FROM chain c JOIN pg_type t ON t.oid = c.type_oid
  WHERE (t.typtype = 'd' OR (t.typcategory = 'A' AND t.typelem <> 0)) AND c.depth < 32
)
SELECT DISTINCT ON (c.name) c.name,
       CASE WHEN n.nspname = 'pg_catalog' AND t.typtype = 'b' THEN t.typname ELSE 'other' END AS base_type
FROM chain c
JOIN pg_type t ON t.oid = c.type_oid
JOIN pg_namespace n ON n.oid = t.typnamespace
ORDER BY c.name, c.depth DESC`;

/** A table's description with its value kinds; reads the catalog with one pooled connection at a time
 *  (the resolver's lookups are sequential). */
export async function loadTableInfo(pool: Pool, types: TypeResolver, table: string): Promise<TableInfo> {
  const { rows } = await pool.query<{ name: string; type: string; pk_position: number | null }>(COLUMNS_SQL, [
    quoteTable(table),
  ]);
  if (rows.length === 0) {
    throw new SourceShapeError(`table ${table} does not exist in the source database (or has no columns)`);
  }
  const primaryKey = rows
    .filter((r) => r.pk_position !== null)
    .sort((a, b) => (a.pk_position ?? 0) - (b.pk_position ?? 0))
    .map((r) => r.name);
  if (primaryKey.length === 0) {
    throw new SourceShapeError(
      `table ${table} has no primary key; the Elasticsearch sink needs one to address its rows (add a PRIMARY KEY)`,
    );
  }
  // the type OIDs as the server reports them in row descriptions (a domain column reports its base type)
  const { fields } = await pool.query(`SELECT * FROM ${quoteTable(table)} LIMIT 0`);
  const kinds = new Map<string, ColumnKind>();
  for (const field of fields) {
    kinds.set(field.name, { oid: field.dataTypeID, kind: await types.resolve(field.dataTypeID) });
  }
  const base = await pool.query<{ name: string; base_type: string }>(BASE_TYPES_SQL, [quoteTable(table)]);
  const baseTypes = new Map(base.rows.map((r) => [r.name, r.base_type]));
  return { table, columns: new Map(rows.map((r) => [r.name, r.type])), kinds, baseTypes, primaryKey };
}
