import { qualifiedTable } from '@distributary/core';
import { expectNode, nodeTag, type PgNode } from './pg-ast';
import { describeFromItem, joinName } from './describe-node';
import type { AExprShape, RangeVarShape } from './pg-shapes';
import { operatorName, readColumnRef } from './read-nodes';
import { type ViewDefinition, ViewSqlError, type ViewTable, unsupported } from './view-definition';

/** The FROM clause: the fact table, and at most one lookup table joined ON an equality of columns. */
export function readFrom(from: PgNode[]): { fact: ViewTable; join?: ViewDefinition['join'] } {
  if (from.length === 0) throw unsupported('a SELECT without FROM');
  if (from.length > 1) throw unsupported('more than one FROM item (use JOIN ... ON)');
  const item = from[0];
  const tag = nodeTag(item);
  if (tag === 'RangeVar') return { fact: readTable(expectNode(item, 'RangeVar')) };
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
  const fact = readTable(expectNode(joinExpr.larg, 'RangeVar'));
  const lookup = readTable(expectNode(joinExpr.rarg, 'RangeVar'));
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
    join: { lookup, left: readColumnRef(equality.lexpr), right: readColumnRef(equality.rexpr) },
  };
}

function readTable(range: RangeVarShape): ViewTable {
  if (!range.relname) throw unsupported('a FROM item without a table name');
  if (range.alias?.colnames?.length) throw unsupported('column aliases on a table');
  const table = qualifiedTable(range.schemaname ?? 'public', range.relname);
  return { table, ...(range.alias?.aliasname ? { alias: range.alias.aliasname } : {}) };
}
