import type { ParseResult } from '@pgsql/types';
import { loadModule, parseSync } from 'pgsql-parser';
import { DistributaryError, qualifiedTable } from '@distributary/core';
import { expectNode, nodeTag, type PgNode } from './pg-ast';

/**
 * Parses a materialized-view declaration with the real PostgreSQL parser (libpg-query) and accepts
 * exactly the incrementally maintainable subset:
 *   SELECT <group cols>, count(*) | count(col) | sum(col) | avg(col) | min(col) | max(col) [AS name], ...
 *   FROM <fact table> [alias] [JOIN <lookup table> [alias] ON <col> = <col>]
 *   [WHERE col op literal | col IS [NOT] NULL | col [NOT] IN (literals), joined by AND]
 *   GROUP BY <group cols>
 * Anything else is refused with a ViewSqlError naming the unsupported part.
 */

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

export class ViewSqlError extends DistributaryError {}

const AGGREGATES = new Set<AggregateFn>(['count', 'sum', 'avg', 'min', 'max']);
const COMPARE_OPS = new Set<string>(['=', '<>', '!=', '<', '<=', '>', '>=']);
const FLIPPED: Record<CompareOp, CompareOp> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

let parserReady: Promise<void> | undefined;

/** Loads the libpg-query WebAssembly module once; parseViewSqlSync needs it. */
export function loadViewSqlParser(): Promise<void> {
  parserReady ??= loadModule();
  return parserReady;
}

export async function parseViewSql(sql: string): Promise<ViewDefinition> {
  await loadViewSqlParser();
  return parseViewSqlSync(sql);
}

/** Synchronous form, for callers that awaited loadViewSqlParser() before. */
export function parseViewSqlSync(sql: string): ViewDefinition {
  let result: ParseResult;
  try {
    result = parseSync(sql);
  } catch (error) {
    if (error instanceof Error && /not initialized/i.test(error.message))
      throw new Error('the view SQL parser is not loaded: await loadViewSqlParser() first');
    throw new ViewSqlError(`invalid view SQL: ${error instanceof Error ? error.message : String(error)}`);
  }
  const statements = result.stmts ?? [];
  if (statements.length !== 1) throw unsupported(`${statements.length} statements (exactly one SELECT)`);
  const statement = statements[0].stmt as PgNode | undefined;
  if (!statement) throw unsupported('empty statement');
  const tag = nodeTag(statement);
  if (tag !== 'SelectStmt') throw unsupported(`${tag} (only SELECT)`);
  return new SelectReader(sql).read(expectNode(statement, 'SelectStmt'));
}

function unsupported(part: string): ViewSqlError {
  return new ViewSqlError(`unsupported in view SQL: ${part}`);
}

interface SelectStmtShape {
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

interface RangeVarShape {
  schemaname?: string;
  relname?: string;
  alias?: { aliasname?: string; colnames?: unknown[] };
}

interface FuncCallShape {
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

interface AExprShape {
  kind?: string;
  name?: PgNode[];
  lexpr?: PgNode;
  rexpr?: PgNode;
}

class SelectReader {
  constructor(private readonly sql: string) {}

  read(select: SelectStmtShape): ViewDefinition {
    this.refuseClauses(select);
    const { fact, join } = this.readFrom(select.fromClause ?? []);
    const selected = this.readTargets(select.targetList ?? []);
    const groups = this.readGroupBy(select.groupClause ?? [], selected.groups);
    const where = select.whereClause ? this.readPredicate(select.whereClause) : undefined;
    const outputs = selected.outputs;
    const seen = new Set<string>();
    for (const output of outputs) {
      if (seen.has(output.name))
        throw new ViewSqlError(`duplicate output column "${output.name}": give each column its own alias (AS name)`);
      seen.add(output.name);
    }
    if (selected.aggregates.length === 0) throw unsupported('a SELECT without aggregates (nothing to maintain)');
    return {
      sql: this.sql,
      fact,
      ...(join ? { join } : {}),
      groups,
      aggregates: selected.aggregates,
      outputs,
      ...(where ? { where } : {}),
      tables: join ? [fact.table, join.lookup.table] : [fact.table],
    };
  }

  private refuseClauses(select: SelectStmtShape): void {
    if (select.op && select.op !== 'SETOP_NONE') throw unsupported(select.op.replace('SETOP_', ''));
    if (select.withClause) throw unsupported('WITH');
    if (select.valuesLists?.length) throw unsupported('VALUES');
    if (select.intoClause) throw unsupported('INTO');
    if (select.distinctClause) throw unsupported('DISTINCT');
    if (select.havingClause) throw unsupported('HAVING');
    if (select.windowClause?.length) throw unsupported('WINDOW');
    if (select.sortClause?.length) throw unsupported('ORDER BY');
    if (select.limitCount) throw unsupported('LIMIT');
    if (select.limitOffset) throw unsupported('OFFSET');
    if (select.lockingClause?.length) throw unsupported('FOR UPDATE/SHARE');
    if (select.groupDistinct) throw unsupported('GROUP BY DISTINCT');
    if (!select.groupClause?.length) throw unsupported('aggregates without GROUP BY');
  }

  private readFrom(from: PgNode[]): { fact: ViewTable; join?: ViewDefinition['join'] } {
    if (from.length === 0) throw unsupported('a SELECT without FROM');
    if (from.length > 1) throw unsupported('more than one FROM item (use JOIN ... ON)');
    const item = from[0];
    const tag = nodeTag(item);
    if (tag === 'RangeVar') return { fact: this.readTable(expectNode(item, 'RangeVar')) };
    if (tag !== 'JoinExpr') throw unsupported(describeFromItem(tag));
    const joinExpr = expectNode<{
      jointype?: string;
      isNatural?: boolean;
      larg?: PgNode;
      rarg?: PgNode;
      usingClause?: unknown[];
      quals?: PgNode;
    }>(item, 'JoinExpr');
    if (joinExpr.jointype !== 'JOIN_INNER')
      throw new ViewSqlError(`unsupported join type: ${joinName(joinExpr.jointype)}`);
    if (joinExpr.isNatural) throw unsupported('NATURAL JOIN');
    if (joinExpr.usingClause?.length) throw unsupported('JOIN ... USING (use JOIN ... ON a.col = b.col)');
    if (!joinExpr.larg || !joinExpr.rarg) throw unsupported('incomplete JOIN');
    if (nodeTag(joinExpr.larg) === 'JoinExpr' || nodeTag(joinExpr.rarg) === 'JoinExpr')
      throw unsupported('more than one JOIN');
    if (nodeTag(joinExpr.larg) !== 'RangeVar') throw unsupported(describeFromItem(nodeTag(joinExpr.larg)));
    if (nodeTag(joinExpr.rarg) !== 'RangeVar') throw unsupported(describeFromItem(nodeTag(joinExpr.rarg)));
    const fact = this.readTable(expectNode(joinExpr.larg, 'RangeVar'));
    const lookup = this.readTable(expectNode(joinExpr.rarg, 'RangeVar'));
    if (fact.table === lookup.table) throw unsupported('a self-join');
    if (!joinExpr.quals) throw unsupported('JOIN without ON');
    const quals = joinExpr.quals;
    const equality = nodeTag(quals) === 'A_Expr' ? expectNode<AExprShape>(quals, 'A_Expr') : undefined;
    if (
      !equality ||
      equality.kind !== 'AEXPR_OP' ||
      operatorName(equality.name) !== '=' ||
      !equality.lexpr ||
      !equality.rexpr ||
      nodeTag(equality.lexpr) !== 'ColumnRef' ||
      nodeTag(equality.rexpr) !== 'ColumnRef'
    )
      throw new ViewSqlError('unsupported join condition: only ON <fact column> = <lookup column>');
    return {
      fact,
      join: { lookup, left: this.readColumnRef(equality.lexpr), right: this.readColumnRef(equality.rexpr) },
    };
  }

  private readTable(range: RangeVarShape): ViewTable {
    if (!range.relname) throw unsupported('a FROM item without a table name');
    if (range.alias?.colnames?.length) throw unsupported('column aliases on a table');
    const table = qualifiedTable(range.schemaname ?? 'public', range.relname);
    return { table, ...(range.alias?.aliasname ? { alias: range.alias.aliasname } : {}) };
  }

  private readTargets(targets: PgNode[]): {
    groups: GroupColumn[];
    aggregates: Aggregate[];
    outputs: OutputColumn[];
  } {
    const groups: GroupColumn[] = [];
    const aggregates: Aggregate[] = [];
    const outputs: OutputColumn[] = [];
    for (const target of targets) {
      const res = expectNode<{ name?: string; val?: PgNode }>(target, 'ResTarget');
      if (!res.val) throw unsupported('an empty select item');
      const tag = nodeTag(res.val);
      if (tag === 'ColumnRef') {
        const fields = expectNode<{ fields?: PgNode[] }>(res.val, 'ColumnRef').fields ?? [];
        if (fields.some((field) => nodeTag(field) === 'A_Star')) throw unsupported('SELECT *');
        const ref = this.readColumnRef(res.val);
        const name = res.name ?? ref.column;
        outputs.push({ kind: 'group', name, index: groups.length });
        this.positions.push(groups.length);
        groups.push({ name, ref });
      } else if (tag === 'FuncCall') {
        const aggregate = this.readAggregate(expectNode<FuncCallShape>(res.val, 'FuncCall'), res.name);
        outputs.push({ kind: 'aggregate', name: aggregate.name, index: aggregates.length });
        this.positions.push(-1);
        aggregates.push(aggregate);
      } else {
        throw unsupported(`${describeExpression(tag)} in the select list (only group columns and aggregates)`);
      }
    }
    return { groups, aggregates, outputs };
  }

  private readAggregate(call: FuncCallShape, alias: string | undefined): Aggregate {
    const names = (call.funcname ?? []).map((part) => stringValue(part));
    const fn = names[names.length - 1]?.toLowerCase() ?? '';
    const qualified = names.join('.');
    if (names.length > 2 || (names.length === 2 && names[0] !== 'pg_catalog') || !AGGREGATES.has(fn as AggregateFn))
      throw new ViewSqlError(`unsupported aggregate: ${qualified}`);
    if (call.over) throw unsupported(`window function ${fn}() OVER`);
    if (call.agg_distinct) throw unsupported(`${fn}(DISTINCT ...)`);
    if (call.agg_filter) throw unsupported(`${fn}(...) FILTER`);
    if (call.agg_order?.length || call.agg_within_group) throw unsupported(`ORDER BY inside ${fn}()`);
    if (call.func_variadic) throw unsupported(`VARIADIC in ${fn}()`);
    const name = alias ?? fn;
    if (call.agg_star) {
      if (fn !== 'count') throw unsupported(`${fn}(*)`);
      return { name, fn: 'count' };
    }
    const args = call.args ?? [];
    if (args.length !== 1) throw unsupported(`${fn}() with ${args.length} arguments`);
    if (nodeTag(args[0]) !== 'ColumnRef')
      throw new ViewSqlError(`unsupported aggregate argument in ${fn}(): only a plain column, e.g. ${fn}(amount)`);
    return { name, fn: fn as AggregateFn, arg: this.readColumnRef(args[0]) };
  }

  private readGroupBy(items: PgNode[], selectedGroups: GroupColumn[]): GroupColumn[] {
    const matched = new Set<number>();
    for (const item of items) {
      const tag = nodeTag(item);
      if (tag === 'GroupingSet') throw unsupported('GROUPING SETS / ROLLUP / CUBE');
      let index: number;
      if (tag === 'A_Const') {
        const position = expectNode<{ ival?: { ival?: number } }>(item, 'A_Const').ival?.ival;
        if (position === undefined || position < 1)
          throw unsupported('a GROUP BY constant that is not a select-list position');
        index = this.groupIndexForPosition(position);
      } else if (tag === 'ColumnRef') {
        const ref = this.readColumnRef(item);
        index = selectedGroups.findIndex(
          (group) => sameColumn(group.ref, ref) || (!ref.relation && group.name === ref.column),
        );
        if (index < 0) throw unsupported(`GROUP BY ${formatRef(ref)} that is not in the select list`);
      } else {
        throw unsupported(`GROUP BY ${describeExpression(tag)} (only columns)`);
      }
      matched.add(index);
    }
    const missing = selectedGroups.find((_, index) => !matched.has(index));
    if (missing) throw new ViewSqlError(`column ${formatRef(missing.ref)} must appear in the GROUP BY clause`);
    return selectedGroups;
  }

  /** For each select-list item, its index among the group columns, or -1 for an aggregate. */
  private positions: number[] = [];

  /** Maps a 1-based select-list position to the index among group columns. */
  private groupIndexForPosition(position: number): number {
    const index = this.positions[position - 1];
    if (index === undefined || index < 0) throw unsupported(`GROUP BY ${position} (not a plain column)`);
    return index;
  }

  private readPredicate(node: PgNode): Predicate {
    const tag = nodeTag(node);
    if (tag === 'BoolExpr') {
      const bool = expectNode<{ boolop?: string; args?: PgNode[] }>(node, 'BoolExpr');
      if (bool.boolop === 'AND_EXPR')
        return { kind: 'and', args: (bool.args ?? []).map((arg) => this.readPredicate(arg)) };
      throw unsupported(bool.boolop === 'OR_EXPR' ? 'OR in WHERE' : 'NOT in WHERE');
    }
    if (tag === 'NullTest') {
      const test = expectNode<{ arg?: PgNode; nulltesttype?: string }>(node, 'NullTest');
      if (!test.arg || nodeTag(test.arg) !== 'ColumnRef') throw unsupported('IS NULL on an expression (only columns)');
      return { kind: 'null-test', column: this.readColumnRef(test.arg), negated: test.nulltesttype === 'IS_NOT_NULL' };
    }
    if (tag === 'A_Expr') return this.readComparison(expectNode<AExprShape>(node, 'A_Expr'));
    if (tag === 'SubLink') throw unsupported('subquery in WHERE');
    throw unsupported(`${describeExpression(tag)} in WHERE (only col op literal, IS [NOT] NULL, [NOT] IN, AND)`);
  }

  private readComparison(expr: AExprShape): Predicate {
    const op = operatorName(expr.name);
    if (!expr.lexpr || !expr.rexpr) throw unsupported(`prefix operator ${op} in WHERE`);
    if (expr.kind === 'AEXPR_IN') {
      if (nodeTag(expr.lexpr) !== 'ColumnRef') throw unsupported('IN on an expression (only columns)');
      const list = expectNode<{ items?: PgNode[] }>(expr.rexpr, 'List').items ?? [];
      return {
        kind: 'in',
        column: this.readColumnRef(expr.lexpr),
        values: list.map((item) => this.readLiteral(item)),
        negated: op === '<>',
      };
    }
    if (expr.kind !== 'AEXPR_OP') throw unsupported(`${describeAExpr(expr.kind)} in WHERE`);
    if (!COMPARE_OPS.has(op)) throw unsupported(`operator ${op} in WHERE`);
    const normalized: CompareOp = op === '!=' ? '<>' : (op as CompareOp);
    const leftIsColumn = nodeTag(expr.lexpr) === 'ColumnRef';
    const rightIsColumn = nodeTag(expr.rexpr) === 'ColumnRef';
    if (leftIsColumn && rightIsColumn) throw unsupported('a comparison between two columns in WHERE');
    if (leftIsColumn)
      return {
        kind: 'compare',
        column: this.readColumnRef(expr.lexpr),
        op: normalized,
        value: this.readLiteral(expr.rexpr),
      };
    if (rightIsColumn)
      return {
        kind: 'compare',
        column: this.readColumnRef(expr.rexpr),
        op: FLIPPED[normalized],
        value: this.readLiteral(expr.lexpr),
      };
    throw unsupported('a comparison without a column in WHERE');
  }

  private readLiteral(node: PgNode): Literal {
    const tag = nodeTag(node);
    if (tag !== 'A_Const') throw unsupported(`${describeExpression(tag)} where a literal was expected`);
    const constant = expectNode<{
      ival?: { ival?: number };
      fval?: { fval?: string };
      boolval?: { boolval?: boolean };
      sval?: { sval?: string };
      bsval?: unknown;
      isnull?: boolean;
    }>(node, 'A_Const');
    if (constant.isnull) return { kind: 'null' };
    if (constant.ival) return { kind: 'number', text: String(constant.ival.ival ?? 0) };
    if (constant.fval) return { kind: 'number', text: constant.fval.fval ?? '0' };
    if (constant.boolval) return { kind: 'boolean', value: constant.boolval.boolval ?? false };
    if (constant.sval) return { kind: 'string', value: constant.sval.sval ?? '' };
    throw unsupported('a bit-string literal');
  }

  private readColumnRef(node: PgNode): ColumnRef {
    const fields = expectNode<{ fields?: PgNode[] }>(node, 'ColumnRef').fields ?? [];
    if (fields.some((field) => nodeTag(field) !== 'String')) throw unsupported('a * column reference');
    const parts = fields.map((field) => stringValue(field));
    if (parts.length === 1) return { column: parts[0] };
    if (parts.length > 3) throw unsupported(`the column reference ${parts.join('.')}`);
    return { relation: parts.slice(0, -1).join('.'), column: parts[parts.length - 1] };
  }
}

function stringValue(node: PgNode): string {
  return expectNode<{ sval?: string }>(node, 'String').sval ?? '';
}

function operatorName(name: PgNode[] | undefined): string {
  return (name ?? []).map((part) => stringValue(part)).join('.');
}

export function sameColumn(a: ColumnRef, b: ColumnRef): boolean {
  return a.column === b.column && (a.relation === b.relation || !a.relation || !b.relation);
}

export function formatRef(ref: ColumnRef): string {
  return ref.relation ? `${ref.relation}.${ref.column}` : ref.column;
}

function joinName(jointype: string | undefined): string {
  switch (jointype) {
    case 'JOIN_LEFT':
      return 'LEFT JOIN';
    case 'JOIN_RIGHT':
      return 'RIGHT JOIN';
    case 'JOIN_FULL':
      return 'FULL JOIN';
    default:
      return jointype ?? 'unknown';
  }
}

function describeFromItem(tag: string): string {
  if (tag === 'RangeSubselect') return 'subquery in FROM';
  if (tag === 'RangeFunction') return 'function in FROM';
  return `${tag} in FROM`;
}

function describeExpression(tag: string): string {
  switch (tag) {
    case 'A_Expr':
      return 'an expression';
    case 'TypeCast':
      return 'a type cast';
    case 'FuncCall':
      return 'a function call';
    case 'SubLink':
      return 'a subquery';
    case 'A_Const':
      return 'a constant';
    case 'CaseExpr':
      return 'CASE';
    case 'CoalesceExpr':
      return 'COALESCE';
    case 'ColumnRef':
      return 'a column';
    default:
      return tag;
  }
}

function describeAExpr(kind: string | undefined): string {
  switch (kind) {
    case 'AEXPR_LIKE':
      return 'LIKE';
    case 'AEXPR_ILIKE':
      return 'ILIKE';
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
      return 'BETWEEN';
    case 'AEXPR_OP_ANY':
      return 'ANY';
    case 'AEXPR_OP_ALL':
      return 'ALL';
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT':
      return 'IS DISTINCT FROM';
    case 'AEXPR_SIMILAR':
      return 'SIMILAR TO';
    default:
      return kind ?? 'an expression';
  }
}
