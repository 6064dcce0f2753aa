/** Names of AST node kinds as a person writes them, for the messages of refused view SQL. */
export function joinName(jointype: string | undefined): string {
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

export function describeFromItem(tag: string): string {
  if (tag === 'RangeSubselect') return 'subquery in FROM';
  if (tag === 'RangeFunction') return 'function in FROM';
  return `${tag} in FROM`;
}

export function describeExpression(tag: string): string {
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

export function describeAExpr(kind: string | undefined): string {
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
