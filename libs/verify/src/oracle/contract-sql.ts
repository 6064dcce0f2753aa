/**
 * The type contract (libs/core event.ts, docs/types.md) written a second time, in SQL, so that the
 * expected values of `verify` come from PostgreSQL's own output functions, not from the pipeline's
 * decoder (pg-decode converts pgoutput text in TypeScript). Each column is rendered as jsonb:
 *
 *   int2, int4, oid                → a JSON number
 *   bool                           → true / false
 *   json, jsonb                    → the value's text (becomes JsonText, embedded verbatim)
 *   bytea                          → base64 (encode(), line breaks removed)
 *   date, timestamp, timestamptz   → ISO-8601 (to_char; extract for dates): astronomical years (44 BC is -0043, '+' past
 *                                    9999), PostgreSQL's fraction digits, timestamptz in UTC with 'Z',
 *                                    'infinity' / '-infinity' kept
 *   everything else                → the type's output (concat(col): char(n) keeps its padding; numeric, int8, floats with -0/NaN/±Infinity, money,
 *                                    intervals, enums, composites, ranges, extension types…)
 *   arrays                         → { dims, items }: the element renderings in storage order, and
 *                                    each dimension's length, reshaped into nested arrays by the reader
 *
 * The session must run with the settings of `ORACLE_SESSION_OPTIONS`.
 */
import type { ClientBase } from 'pg';
import { quoteIdent, splitTable } from '@distributary/core';

/** The session settings every rendering of this file assumes (libpq `options`). */
export const ORACLE_SESSION_OPTIONS =
  '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1 -c bytea_output=hex';

export type ContractScalar = 'int' | 'bool' | 'json' | 'bytea' | 'date' | 'timestamp' | 'timestamptz' | 'exact';

export type ContractKind = { scalar: ContractScalar } | { arrayOf: ContractScalar };

export interface OracleColumn {
  name: string;
  kind: ContractKind;
}

export interface OracleTable {
  table: string;
  /** Quoted schema-qualified name. */
  sql: string;
  columns: OracleColumn[];
  primaryKey: string[];
  /** Column name → SQL type (format_type), for parameter casts. */
  types: Map<string, string>;
}

const SCALARS: Record<string, ContractScalar> = {
  int2: 'int',
  int4: 'int',
  oid: 'int',
  bool: 'bool',
  json: 'json',
  jsonb: 'json',
  bytea: 'bytea',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
};

/** The one quoting function (libs/core identifiers). */
export { quoteIdent };

export function quoteTable(qualified: string): string {
  const { schema, table } = splitTable(qualified);
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** Every column with its type resolved through domains (recursively) to a pg_catalog base type. */
const COLUMNS_SQL = `
WITH RECURSIVE cols AS (
  SELECT a.attnum, a.attname, a.atttypid AS typ, format_type(a.atttypid, a.atttypmod) AS sql_type,
         array_position(i.indkey::int2[], a.attnum) AS pk_position
  FROM pg_attribute a
  LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
  WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
    AND a.attgenerated = '' -- not in the log (docs/types.md: generated columns)
), base AS (
  SELECT attnum, typ FROM cols
  UNION ALL
  SELECT b.attnum, t.typbasetype FROM base b JOIN pg_type t ON t.oid = b.typ WHERE t.typtype = 'd'
), resolved AS (
  SELECT b.attnum, t.oid, t.typname, t.typtype, t.typcategory, t.typelem, n.nspname
  FROM base b JOIN pg_type t ON t.oid = b.typ JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype <> 'd'
)
SELECT c.attname AS name, c.sql_type, c.pk_position, r.typname, r.typtype::text AS typtype, r.nspname,
       r.typcategory = 'A' AND r.typelem <> 0 AS is_array,
       (WITH RECURSIVE e AS (
          SELECT r.typelem AS typ
          UNION ALL
          SELECT t.typbasetype FROM e JOIN pg_type t ON t.oid = e.typ WHERE t.typtype = 'd')
        SELECT jsonb_build_array(t.typname, t.typtype::text, n.nspname)::text
        FROM e JOIN pg_type t ON t.oid = e.typ JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype <> 'd') AS element
FROM cols c JOIN resolved r ON r.attnum = c.attnum
ORDER BY c.attnum`;

function scalarOf(typname: string, typtype: string, nspname: string): ContractScalar {
  return typtype === 'b' && nspname === 'pg_catalog' ? (SCALARS[typname] ?? 'exact') : 'exact';
}

export async function describeOracleTable(client: ClientBase, table: string): Promise<OracleTable> {
  const { rows } = await client.query<{
    name: string;
    sql_type: string;
    pk_position: number | string | null;
    typname: string;
    typtype: string;
    nspname: string;
    is_array: boolean | string;
    element: string | null;
  }>(COLUMNS_SQL, [quoteTable(table)]);
  if (rows.length === 0) throw new Error(`table ${table} does not exist in the source database (or has no columns)`);
  const columns = rows.map((row): OracleColumn => {
    const isArray = row.is_array === true || row.is_array === 't';
    if (isArray && row.element) {
      const [typname, typtype, nspname] = JSON.parse(row.element) as [string, string, string];
      return { name: row.name, kind: { arrayOf: scalarOf(typname, typtype, nspname) } };
    }
    return { name: row.name, kind: { scalar: scalarOf(row.typname, row.typtype, row.nspname) } };
  });
  const primaryKey = rows
    .filter((r) => r.pk_position !== null)
    .sort((a, b) => Number(a.pk_position) - Number(b.pk_position))
    .map((r) => r.name);
  return {
    table,
    sql: quoteTable(table),
    columns,
    primaryKey,
    types: new Map(rows.map((r) => [r.name, r.sql_type])),
  };
}

function isoYear(v: string): string {
  const y = `(extract(year FROM ${v})::int + CASE WHEN extract(year FROM ${v}) < 0 THEN 1 ELSE 0 END)`;
  return (
    `(CASE WHEN ${y} < 0 THEN '-' || lpad((-${y})::text, 4, '0') ` +
    `WHEN ${y} > 9999 THEN '+' || ${y}::text ELSE lpad(${y}::text, 4, '0') END)`
  );
}

function isoTime(v: string, zone: string): string {
  const fraction = `rtrim(rtrim(to_char(${v}, '.US'), '0'), '.')`;
  return (
    `CASE WHEN isfinite(${v}) THEN ${isoYear(v)} || to_char(${v}, '-MM-DD"T"HH24:MI:SS') || ${fraction}${zone} ` +
    `ELSE ${v}::text END`
  );
}

/** The jsonb rendering of one scalar value expression `v`. */
export function scalarSql(v: string, scalar: ContractScalar): string {
  switch (scalar) {
    case 'int':
      return `to_jsonb((${v})::bigint)`;
    case 'bool':
      return `to_jsonb(${v})`;
    case 'json':
      return `to_jsonb((${v})::text)`;
    case 'bytea':
      return `to_jsonb(translate(encode(${v}, 'base64'), E'\\n', ''))`;
    case 'date': {
      // Not to_char: it converts the date to a timestamp, whose range ends long before date's (5874897 AD).
      const part = (field: string): string => `lpad(extract(${field} FROM ${v})::int::text, 2, '0')`;
      return `to_jsonb(CASE WHEN isfinite(${v}) THEN ${isoYear(v)} || '-' || ${part('month')} || '-' || ${part('day')} ELSE ${v}::text END)`;
    }
    case 'timestamp':
      return `to_jsonb(${isoTime(v, '')})`;
    case 'timestamptz':
      return `to_jsonb(${isoTime(v, ` || 'Z'`)})`;
    case 'exact':
      // The type's output function: concat(), not ::text, which trims char(n)'s padding. A composite whose
      // fields are all NULL is "IS NULL" but not a NULL value: test its text instead.
      return `to_jsonb(CASE WHEN (${v})::text IS NULL THEN NULL ELSE concat(${v}) END)`;
  }
}

/** The jsonb rendering of column `column` of the row alias `t`. */
export function columnSql(column: OracleColumn): string {
  const ref = `t.${quoteIdent(column.name)}`;
  if ('scalar' in column.kind) return scalarSql(ref, column.kind.scalar);
  const dims = `(SELECT jsonb_agg(array_length(${ref}, d) ORDER BY d) FROM generate_series(1, array_ndims(${ref})) d)`;
  // unnest() in the select list: in FROM it would expand composite elements into their fields.
  const items =
    `(SELECT jsonb_agg(${scalarSql('u.e', column.kind.arrayOf)} ORDER BY u.i) ` +
    `FROM (SELECT unnest(${ref}) AS e, generate_series(1, cardinality(${ref})) AS i) u)`;
  return `CASE WHEN ${ref} IS NULL THEN NULL ELSE jsonb_build_object('dims', coalesce(${dims}, '[]'), 'items', coalesce(${items}, '[]')) END`;
}

/** `SELECT <every column rendered> FROM table t` (the caller adds WHERE / ORDER BY). */
export function selectRendered(table: OracleTable): string {
  const columns = table.columns.map((c, i) => `${columnSql(c)} AS c${i}`).join(', ');
  return `SELECT ${columns} FROM ${table.sql} t`;
}
