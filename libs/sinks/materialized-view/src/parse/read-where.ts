import { expectNode, nodeTag, type PgNode } from './pg-ast';
import { describeAExpr, describeExpression } from './describe-node';
import type { AExprShape } from './pg-shapes';
import { operatorName, readColumnRef, readLiteral } from './read-nodes';
import { type CompareOp, type Predicate, unsupported } from './view-definition';

const COMPARE_OPS = new Set<string>(['=', '<>', '!=', '<', '<=', '>', '>=']);
const FLIPPED: Record<CompareOp, CompareOp> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** The WHERE clause: comparisons with a literal, IS [NOT] NULL, [NOT] IN, joined by AND. */
export function readPredicate(node: PgNode): Predicate {
  const tag = nodeTag(node);
  if (tag === 'BoolExpr') {
    const bool = expectNode<{ boolop?: string; args?: PgNode[] }>(node, 'BoolExpr');
    if (bool.boolop === 'AND_EXPR') return { kind: 'and', args: (bool.args ?? []).map((arg) => readPredicate(arg)) };
    throw unsupported(bool.boolop === 'OR_EXPR' ? 'OR in WHERE' : 'NOT in WHERE');
  }
  if (tag === 'NullTest') {
    const test = expectNode<{ arg?: PgNode; nulltesttype?: string }>(node, 'NullTest');
    if (!test.arg || nodeTag(test.arg) !== 'ColumnRef') throw unsupported('IS NULL on an expression (only columns)');
    return { kind: 'null-test', column: readColumnRef(test.arg), negated: test.nulltesttype === 'IS_NOT_NULL' };
  }
  if (tag === 'A_Expr') return readComparison(expectNode<AExprShape>(node, 'A_Expr'));
  if (tag === 'SubLink') throw unsupported('subquery in WHERE');
  throw unsupported(`${describeExpression(tag)} in WHERE (only col op literal, IS [NOT] NULL, [NOT] IN, AND)`);
}

function readComparison(expr: AExprShape): Predicate {
  const op = operatorName(expr.name);
  if (!expr.lexpr || !expr.rexpr) throw unsupported(`prefix operator ${op} in WHERE`);
  if (expr.kind === 'AEXPR_IN') {
    if (nodeTag(expr.lexpr) !== 'ColumnRef') throw unsupported('IN on an expression (only columns)');
    const list = expectNode<{ items?: PgNode[] }>(expr.rexpr, 'List').items ?? [];
    return {
      kind: 'in',
      column: readColumnRef(expr.lexpr),
      values: list.map((item) => readLiteral(item)),
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
      column: readColumnRef(expr.lexpr),
      op: normalized,
      value: readLiteral(expr.rexpr),
    };
  if (rightIsColumn)
    return {
      kind: 'compare',
      column: readColumnRef(expr.rexpr),
      op: FLIPPED[normalized],
      value: readLiteral(expr.lexpr),
    };
  throw unsupported('a comparison without a column in WHERE');
}
