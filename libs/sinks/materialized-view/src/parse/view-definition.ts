import { DistributaryError } from '@distributary/core';

/** What a view declaration means, as parsed from its SQL (parse/select-reader.ts). */
export type Side = 'fact' | 'lookup';
export type AggregateFn = 'count' | 'sum' | 'avg' | 'min' | 'max';
export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

export interface ColumnRef {
  /** The qualifier as written (alias, table or schema.table); absent when unqualified. */
  relation?: string;
  column: string;
}

export interface GroupColumn {
  name: string;
  ref: ColumnRef;
}

export interface Aggregate {
  name: string;
  fn: AggregateFn;
  /** Absent for count(*). */
  arg?: ColumnRef;
}

export type OutputColumn =
  { kind: 'group'; name: string; index: number } | { kind: 'aggregate'; name: string; index: number };

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

export type Predicate =
  | { kind: 'and'; args: Predicate[] }
  | { kind: 'compare'; column: ColumnRef; op: CompareOp; value: Literal }
  | { kind: 'null-test'; column: ColumnRef; negated: boolean }
  | { kind: 'in'; column: ColumnRef; values: Literal[]; negated: boolean };

export interface ViewTable {
  /** Schema-qualified: 'public.orders'. */
  table: string;
  alias?: string;
}

export interface ViewDefinition {
  sql: string;
  fact: ViewTable;
  join?: { lookup: ViewTable; left: ColumnRef; right: ColumnRef };
  groups: GroupColumn[];
  aggregates: Aggregate[];
  outputs: OutputColumn[];
  where?: Predicate;
  /** Fact table first, then the lookup table. */
  tables: string[];
}

/** A view SQL refused: names the unsupported part. */
export class ViewSqlError extends DistributaryError {}

export function unsupported(part: string): ViewSqlError {
  return new ViewSqlError(`unsupported in view SQL: ${part}`);
}

export function sameColumn(a: ColumnRef, b: ColumnRef): boolean {
  return a.column === b.column && (a.relation === b.relation || !a.relation || !b.relation);
}

export function formatRef(ref: ColumnRef): string {
  return ref.relation ? `${ref.relation}.${ref.column}` : ref.column;
}
