import { Client } from 'pg';
import { quoteIdent, SourceShapeError, splitTable } from '@distributary/core';

/** Column types and primary keys of the source tables a view reads, from the source's catalog. */
export interface ColumnType {
  /** With type modifier, e.g. numeric(12,2): used for mirrored columns. */
  sqlType: string;
  /** Without modifier, e.g. numeric: used to pick aggregate output types. */
  baseType: string;
  /** GENERATED ALWAYS … STORED: not in the log (logical replication does not send it), so no view may read it. */
  generated?: true;
}

export interface TableShape {
  table: string;
  columns: Map<string, ColumnType>;
  primaryKey: string[];
}

export type Catalog = Map<string, TableShape>;

const COLUMNS_SQL = `
  SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS sql_type, format_type(a.atttypid, NULL) AS base_type,
         a.attgenerated <> '' AS generated
  FROM pg_attribute a
  WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
  ORDER BY a.attnum`;

const PRIMARY_KEY_SQL = `
  SELECT a.attname AS name
  FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
  WHERE i.indrelid = to_regclass($1) AND i.indisprimary
  ORDER BY array_position(i.indkey::int2[], a.attnum)`;

export async function loadCatalog(url: string, tables: readonly string[]): Promise<Catalog> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a dropped connection fails the query below instead of the process
  await client.connect();
  try {
    const catalog: Catalog = new Map();
    for (const table of tables) {
      const { schema, table: name } = splitTable(table);
      const regclass = `${quoteIdent(schema)}.${quoteIdent(name)}`;
      const columns = await client.query<{ name: string; sql_type: string; base_type: string; generated: boolean }>(
        COLUMNS_SQL,
        [regclass],
      );
      if (columns.rows.length === 0)
        throw new SourceShapeError(
          `view source table ${table} was not found (or has no columns) in the source database; create it or fix the view SQL`,
        );
      const primaryKey = await client.query<{ name: string }>(PRIMARY_KEY_SQL, [regclass]);
      catalog.set(table, {
        table,
        columns: new Map(
          columns.rows.map((row) => [
            row.name,
            { sqlType: row.sql_type, baseType: row.base_type, ...(row.generated ? { generated: true as const } : {}) },
          ]),
        ),
        primaryKey: primaryKey.rows.map((row) => row.name),
      });
    }
    return catalog;
  } finally {
    await client.end();
  }
}
