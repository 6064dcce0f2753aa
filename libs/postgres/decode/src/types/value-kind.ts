export type ScalarKind = 'int' | 'exact' | 'bool' | 'json' | 'bytea' | 'timestamp' | 'timestamptz' | 'date';

/**
 * How the text form of a PostgreSQL value becomes a ColumnValue (the type contract, docs/types.md):
 * nothing becomes a JS Date or a lossy number. 'exact' keeps PostgreSQL's text as it is (int8,
 * numeric, float4/float8 with -0/NaN/±Infinity, money, and every type without a kind of its own).
 */
export type ValueKind = { scalar: ScalarKind } | { array: ValueKind; delimiter: string };

/** Base types by name in pg_catalog; every other type (text, numeric, floats, uuid, enums, …) is 'exact'. */
export const SCALAR_KIND_BY_TYPNAME: Record<string, ScalarKind> = {
  int2: 'int',
  int4: 'int',
  oid: 'int',
  bool: 'bool',
  json: 'json',
  jsonb: 'json',
  bytea: 'bytea',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  date: 'date',
};
