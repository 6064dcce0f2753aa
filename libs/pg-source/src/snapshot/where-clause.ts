import { loadModule, scanSync } from 'libpg-query';
import { deparseSync, parseSync } from 'pgsql-parser';
import { DistributaryError } from '@distributary/core';

/**
 * A snapshot `where` from an operator (admin API, CLI) is untrusted SQL. It is parsed with the real
 * PostgreSQL parser (libpg-query) and accepted only when it is exactly one boolean expression over
 * the table's columns, built from: column references, literals, comparisons, AND/OR/NOT, IS [NOT]
 * NULL / TRUE / FALSE, [NOT] IN (values), [NOT] BETWEEN, [NOT] [I]LIKE, IS [NOT] DISTINCT FROM,
 * arithmetic, COALESCE/NULLIF, casts to plain scalar types, the date/time keywords (CURRENT_DATE…)
 * and a few pg_catalog functions (WHERE_FUNCTIONS). No statements, subqueries, parameters, comments,
 * other functions or regular-expression operators. The SQL that runs is rendered back from the
 * checked AST (functions and casts qualified with pg_catalog), never the user's text.
 */
/** A snapshot request refused before anything is recorded (bad condition, keys, chunk size). */
export class SnapshotRequestError extends DistributaryError {}
export class SnapshotWhereError extends SnapshotRequestError {}

export const MAX_WHERE_LENGTH = 4000;
const MAX_DEPTH = 32;
const MAX_NODES = 400;

export const WHERE_FUNCTIONS: readonly string[] = [
  'lower',
  'upper',
  'length',
  'char_length',
  'btrim',
  'abs',
  'round',
  'floor',
  'ceil',
  'date_trunc',
  'now',
];
const FUNCTIONS = new Set(WHERE_FUNCTIONS);
const CAST_TYPES = new Set([
  'int2',
  'int4',
  'int8',
  'numeric',
  'float4',
  'float8',
  'bool',
  'text',
  'varchar',
  'bpchar',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'interval',
  'uuid',
]);
const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%', '||']);
const TIME_KEYWORDS = new Set([
  'SVFOP_CURRENT_DATE',
  'SVFOP_CURRENT_TIME',
  'SVFOP_CURRENT_TIME_N',
  'SVFOP_CURRENT_TIMESTAMP',
  'SVFOP_CURRENT_TIMESTAMP_N',
  'SVFOP_LOCALTIME',
  'SVFOP_LOCALTIME_N',
  'SVFOP_LOCALTIMESTAMP',
  'SVFOP_LOCALTIMESTAMP_N',
]);
const REFUSED_TOKENS: Record<string, string> = {
  C_COMMENT: 'a comment',
  SQL_COMMENT: 'a comment',
  ASCII_59: 'a ";" (one expression, not statements)',
  PARAM: 'a $n parameter',
};

const CLAUSES: Record<string, string> = {
  fromClause: 'FROM',
  sortClause: 'ORDER BY',
  lockingClause: 'FOR UPDATE/SHARE',
  groupClause: 'GROUP BY',
  havingClause: 'HAVING',
  limitCount: 'LIMIT',
  limitOffset: 'OFFSET',
  withClause: 'WITH',
  windowClause: 'WINDOW',
  distinctClause: 'DISTINCT',
  intoClause: 'INTO',
};

type Ast = Record<string, unknown>;
/** What a node must produce where it stands: a condition (WHERE, AND/OR/NOT) or any value. */
type Want = 'condition' | 'value';

let ready: Promise<void> | undefined;

/** Loads the libpg-query WebAssembly module once (parseSnapshotWhereSync needs it). */
export function loadWhereParser(): Promise<void> {
  ready ??= loadModule();
  return ready;
}

/** Checks `where` and returns the SQL to run, rendered from its AST. `columns`, when given, are the
 *  table's columns: a reference to any other name is refused. */
export async function parseSnapshotWhere(where: string, columns?: readonly string[]): Promise<string> {
  await loadWhereParser();
  return parseSnapshotWhereSync(where, columns);
}

export function parseSnapshotWhereSync(where: string, columns?: readonly string[]): string {
  if (typeof where !== 'string' || !where.trim()) throw refuse('an empty condition');
  if (where.length > MAX_WHERE_LENGTH)
    throw new SnapshotWhereError(`where: at most ${MAX_WHERE_LENGTH} characters, found ${where.length}`);
  refuseTokens(where);
  let parsed: { stmts?: { stmt?: Ast }[] };
  try {
    parsed = parseSync(`SELECT 1 WHERE ${where}`) as typeof parsed;
  } catch (error) {
    throw new SnapshotWhereError(`where: not a SQL condition (${error instanceof Error ? error.message : 'syntax'})`);
  }
  const statements = parsed.stmts ?? [];
  if (statements.length !== 1) throw refuse(`${statements.length} statements`);
  const select = statements[0].stmt?.SelectStmt as Ast | undefined;
  if (!select) throw refuse('a statement');
  for (const key of Object.keys(select))
    if (!['targetList', 'whereClause', 'op', 'limitOption'].includes(key)) throw refuse(CLAUSES[key] ?? `"${key}"`);
  if (select.op !== 'SETOP_NONE' || (select.targetList as unknown[]).length !== 1) throw refuse('a compound query');
  const condition = select.whereClause as Ast | undefined;
  if (!condition) throw refuse('an empty condition');
  const checker = new ExpressionChecker(columns ? new Set(columns) : undefined);
  checker.check(condition, 'condition', 0);
  return deparseSync(condition as never, { pretty: false }).trim();
}

function refuse(what: string): SnapshotWhereError {
  return new SnapshotWhereError(
    `where: ${what} is not allowed; expected one condition over the table's columns ` +
      `(comparisons, AND/OR/NOT, IN, BETWEEN, LIKE, IS NULL, casts, ${WHERE_FUNCTIONS.join('/')})`,
  );
}

function refuseTokens(where: string): void {
  let tokens: { tokenName: string }[];
  try {
    tokens = scanSync(where).tokens;
  } catch {
    throw new SnapshotWhereError('where: not a SQL condition (it cannot be tokenized)');
  }
  for (const token of tokens) {
    const refused = REFUSED_TOKENS[token.tokenName];
    if (refused) throw refuse(refused);
  }
}

function tagOf(node: Ast): [string, Ast] {
  const keys = Object.keys(node);
  if (keys.length !== 1) throw refuse('an unknown construct');
  const body = node[keys[0]];
  if (!body || typeof body !== 'object') throw refuse(`"${keys[0]}"`);
  return [keys[0], body as Ast];
}

function names(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const s = (item as Ast).String as { sval?: string } | undefined;
    if (!s || typeof s.sval !== 'string') throw refuse('a qualified name');
    return s.sval;
  });
}

const pgCatalogName = (name: string): Ast[] => [{ String: { sval: 'pg_catalog' } }, { String: { sval: name } }];

class ExpressionChecker {
  private nodes = 0;
  constructor(private readonly columns?: ReadonlySet<string>) {}

  check(node: Ast, want: Want, depth: number): void {
    if (depth > MAX_DEPTH) throw refuse(`nesting deeper than ${MAX_DEPTH}`);
    if (++this.nodes > MAX_NODES) throw refuse(`more than ${MAX_NODES} terms`);
    const [tag, body] = tagOf(node);
    const next = depth + 1;
    switch (tag) {
      case 'BoolExpr':
        for (const arg of (body.args as Ast[] | undefined) ?? []) this.check(arg, 'condition', next);
        return;
      case 'NullTest':
      case 'BooleanTest':
        return this.check(body.arg as Ast, 'value', next);
      case 'A_Expr':
        return this.checkOperator(body, want, next);
      case 'ColumnRef':
        return this.checkColumn(body);
      case 'A_Const':
        return;
      case 'TypeCast':
        if (want === 'condition') throw refuse('a cast as the whole condition');
        this.checkType(body.typeName as Ast);
        return this.check(body.arg as Ast, 'value', next);
      case 'CoalesceExpr':
        for (const arg of (body.args as Ast[] | undefined) ?? []) this.check(arg, 'value', next);
        return;
      case 'FuncCall':
        if (want === 'condition') throw refuse('a function call as the whole condition');
        return this.checkFunction(body, next);
      case 'SQLValueFunction':
        if (!TIME_KEYWORDS.has(String(body.op))) throw refuse('this SQL keyword');
        if (want === 'condition') throw refuse('a value as the whole condition');
        return;
      case 'SubLink':
        throw refuse('a subquery');
      case 'ParamRef':
        throw refuse('a $n parameter');
      default:
        throw refuse(`"${tag}"`);
    }
  }

  private checkColumn(body: Ast): void {
    const fields = body.fields as Ast[] | undefined;
    if (!fields || fields.length !== 1 || !('String' in fields[0]))
      throw refuse('a qualified or * column reference (write the bare column name)');
    const [name] = names(fields);
    if (this.columns && !this.columns.has(name))
      throw new SnapshotWhereError(
        `where: the table has no column "${name}" (columns: ${[...this.columns].join(', ')})`,
      );
  }

  private checkOperator(body: Ast, want: Want, depth: number): void {
    const kind = String(body.kind);
    const op = names(body.name);
    const symbol = op[op.length - 1] ?? '';
    if (op.length > 2 || (op.length === 2 && op[0] !== 'pg_catalog')) throw refuse(`the operator ${op.join('.')}`);
    const operands = (list: unknown, count?: number): Ast[] => {
      const items = ((list as Ast | undefined)?.List as Ast | undefined)?.items as Ast[] | undefined;
      if (!items || (count !== undefined && items.length !== count)) throw refuse('this operand list');
      return items;
    };
    let values: Ast[];
    switch (kind) {
      case 'AEXPR_OP':
        if (COMPARISONS.has(symbol)) values = [body.lexpr as Ast, body.rexpr as Ast];
        else if (ARITHMETIC.has(symbol)) {
          if (want === 'condition') throw refuse(`"${symbol}" as the whole condition`);
          values = [body.lexpr as Ast | undefined, body.rexpr as Ast].filter((v): v is Ast => v !== undefined);
        } else throw refuse(`the operator ${symbol}`);
        break;
      case 'AEXPR_DISTINCT':
      case 'AEXPR_NOT_DISTINCT':
      case 'AEXPR_LIKE':
      case 'AEXPR_ILIKE':
        values = [body.lexpr as Ast, body.rexpr as Ast];
        break;
      case 'AEXPR_NULLIF':
        if (want === 'condition') throw refuse('NULLIF as the whole condition');
        values = [body.lexpr as Ast, body.rexpr as Ast];
        break;
      case 'AEXPR_IN':
        values = [body.lexpr as Ast, ...operands(body.rexpr)];
        break;
      case 'AEXPR_BETWEEN':
      case 'AEXPR_NOT_BETWEEN':
      case 'AEXPR_BETWEEN_SYM':
      case 'AEXPR_NOT_BETWEEN_SYM':
        values = [body.lexpr as Ast, ...operands(body.rexpr, 2)];
        break;
      default:
        throw refuse(kind === 'AEXPR_SIMILAR' ? 'SIMILAR TO' : `the operator form ${kind.replace('AEXPR_', '')}`);
    }
    for (const value of values) {
      if (!value || typeof value !== 'object') throw refuse('a missing operand');
      this.check(value, 'value', depth);
    }
  }

  private checkType(typeName: Ast): void {
    const parts = names(typeName.names);
    const name = parts[parts.length - 1];
    if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog') || !CAST_TYPES.has(name))
      throw refuse(`a cast to ${parts.join('.')}`);
    if (typeName.arrayBounds || typeName.setof || typeName.pct_type) throw refuse('an array or set type');
    for (const mod of (typeName.typmods as Ast[] | undefined) ?? [])
      if (!('A_Const' in mod)) throw refuse('a computed type modifier');
    typeName.names = pgCatalogName(name);
  }

  private checkFunction(body: Ast, depth: number): void {
    const parts = names(body.funcname);
    const name = parts[parts.length - 1];
    if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog') || !FUNCTIONS.has(name))
      throw refuse(`the function ${parts.join('.')}()`);
    for (const key of [
      'agg_order',
      'agg_filter',
      'over',
      'agg_within_group',
      'agg_star',
      'agg_distinct',
      'func_variadic',
    ])
      if (body[key]) throw refuse(`${name}() with ${key.replace(/^agg_|^func_/, '').toUpperCase()}`);
    for (const arg of (body.args as Ast[] | undefined) ?? []) this.check(arg, 'value', depth);
    body.funcname = pgCatalogName(name);
  }
}
