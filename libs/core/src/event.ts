import { canonicalTable, parseQualifiedName } from './identifiers';
import type { JsonText } from './json-text';
import type { Position } from './position';

/** A column value as the type contract (docs/types.md) defines it: int2/int4/oid numbers, bool
 *  booleans, json/jsonb JsonText (exact text), bytea base64, timestamps/dates ISO-8601 (BC as
 *  negative years, 'infinity'/'-infinity' kept), arrays JS arrays, every other type — int8, numeric,
 *  float4/float8 (so -0, NaN, ±Infinity), money, … — its exact PostgreSQL text. Never a JS Date or a
 *  lossy number. */
export type ColumnValue = string | number | boolean | null | JsonText | ColumnValue[] | { [key: string]: unknown };
export type Row = Record<string, ColumnValue>;

/** c = create, u = update, d = delete, r = read (snapshot row), t = truncate. */
export type Op = 'c' | 'u' | 'd' | 'r' | 't';

export interface ChangeEvent {
  pos: Position;
  op: Op;
  /** Schema-qualified: 'public.products'. */
  table: string;
  /** Primary-key (or replica-identity) columns. Empty for truncate. */
  key: Row;
  before?: Row;
  /** Always the complete row for c/u/r — never a TOAST placeholder. */
  after?: Row;
  xid?: number;
  /** ISO-8601 with microseconds. */
  commitTs?: string;
  /** Columns whose unchanged TOAST value was filled in, each with where it came from. */
  filled?: string[];
  /** Set on snapshot rows: the snapshot they belong to. */
  snapshot?: string;
}

/** A transaction boundary, logged so sinks that promise multi-table consistency can apply whole
 *  source transactions. `events` counts the data events of the transaction across all partitions. */
export interface TxMarker {
  kind: 'begin' | 'commit';
  xid: number;
  commitLsn: string;
  commitTs?: string;
  events?: number;
}

/** The canonical name of a table (identifiers.ts): `public.products`, `public."Order Items"`. */
export function qualifiedTable(schema: string, table: string): string {
  return canonicalTable(schema, table);
}

/** The schema and table of a canonical (or any SQL-spelled) qualified name. */
export function splitTable(qualified: string): { schema: string; table: string } {
  try {
    return parseQualifiedName(qualified);
  } catch {
    // Not SQL-spelled (a raw name from elsewhere): the first dot separates schema and table.
    const dot = qualified.indexOf('.');
    return dot < 0
      ? { schema: 'public', table: qualified }
      : { schema: qualified.slice(0, dot), table: qualified.slice(dot + 1) };
  }
}
