/** The parts of libpg-query's AST nodes the view SQL reader looks at. */
import type { PgNode } from './pg-ast';

export interface SelectStmtShape {
  distinctClause?: unknown[];
  intoClause?: unknown;
  targetList?: PgNode[];
  fromClause?: PgNode[];
  whereClause?: PgNode;
  groupClause?: PgNode[];
  groupDistinct?: boolean;
  havingClause?: unknown;
  windowClause?: unknown[];
  valuesLists?: unknown[];
  sortClause?: unknown[];
  limitOffset?: unknown;
  limitCount?: unknown;
  lockingClause?: unknown[];
  withClause?: unknown;
  op?: string;
}

export interface RangeVarShape {
  schemaname?: string;
  relname?: string;
  alias?: { aliasname?: string; colnames?: unknown[] };
}

export interface FuncCallShape {
  funcname?: PgNode[];
  args?: PgNode[];
  agg_order?: unknown[];
  agg_filter?: unknown;
  over?: unknown;
  agg_within_group?: boolean;
  agg_star?: boolean;
  agg_distinct?: boolean;
  func_variadic?: boolean;
}

export interface AExprShape {
  kind?: string;
  name?: PgNode[];
  lexpr?: PgNode;
  rexpr?: PgNode;
}
