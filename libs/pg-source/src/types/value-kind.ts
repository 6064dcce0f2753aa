/**
 * How the text form of a PostgreSQL value becomes a JSON-safe ColumnValue. Nothing becomes a JS Date
 * or a lossy number: int8/numeric/money stay strings, float specials become 'NaN'/'Infinity'/'-Infinity',
 * timestamps stay text (ISO-8601 with a 'T', microseconds as sent), bytea becomes base64.
 */
export type ScalarKind = 'int' | 'decimal' | 'float' | 'bool' | 'json' | 'bytea' | 'timestamp' | 'timestamptz' | 'text';

export type ValueKind = { scalar: ScalarKind } | { array: ValueKind; delimiter: string };

/** Base types by name in pg_catalog; every other type (text, uuid, date, enums, inet, …) is text. */
export const SCALAR_KIND_BY_TYPNAME: Record<string, ScalarKind> = {
  int2: 'int',
  int4: 'int',
  oid: 'int',
  int8: 'decimal',
  numeric: 'decimal',
  money: 'decimal',
  float4: 'float',
  float8: 'float',
  bool: 'bool',
  json: 'json',
  jsonb: 'json',
  bytea: 'bytea',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
};
