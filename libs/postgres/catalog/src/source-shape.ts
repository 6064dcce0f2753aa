import type { Pool } from 'pg';
import { SourceShapeError, splitTable } from '@distributary/core';

export interface TableShape {
  table: string;
  /** Primary-key columns, in key order; empty when the table has none. */
  primaryKey: string[];
  replicaIdentity: 'default' | 'nothing' | 'full' | 'index';
}

const IDENTITY: Record<string, TableShape['replicaIdentity']> = { d: 'default', n: 'nothing', f: 'full', i: 'index' };

/** Reads a table's key and replica identity; a missing table is a SourceShapeError naming it. */
export async function describeTable(pool: Pool, table: string): Promise<TableShape> {
  const { schema, table: name } = splitTable(table);
  const { rows } = await pool.query<{ relreplident: string; pk: string[] | null }>(
    `SELECT c.relreplident,
            (SELECT array_agg(a.attname::text ORDER BY k.ord)
               FROM pg_index i
               CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, name],
  );
  const row = rows[0];
  if (!row)
    throw new SourceShapeError(`source table ${table} does not exist: create it, or remove it from source.tables`);
  return { table, primaryKey: row.pk ?? [], replicaIdentity: IDENTITY[row.relreplident] ?? 'default' };
}

/**
 * Every published table needs a key the change log can partition and version by: a primary key, or
 * REPLICA IDENTITY FULL (the whole row is the key). Anything else is refused with the fix named.
 */
export async function assertTablesHaveKeys(pool: Pool, tables: readonly string[]): Promise<TableShape[]> {
  const shapes: TableShape[] = [];
  for (const table of tables) {
    const shape = await describeTable(pool, table);
    if (shape.replicaIdentity === 'nothing')
      throw new SourceShapeError(
        `table ${table} has REPLICA IDENTITY NOTHING, so updates and deletes cannot be captured: ` +
          `run ALTER TABLE ${table} REPLICA IDENTITY DEFAULT (with a primary key) or REPLICA IDENTITY FULL`,
      );
    if (shape.primaryKey.length === 0 && shape.replicaIdentity !== 'full')
      throw new SourceShapeError(
        `table ${table} has no primary key: add one (ALTER TABLE ${table} ADD PRIMARY KEY (...)) ` +
          `or run ALTER TABLE ${table} REPLICA IDENTITY FULL`,
      );
    shapes.push(shape);
  }
  return shapes;
}
