import type { SelectStmtShape } from './pg-shapes';
import { readFrom } from './read-from';
import { readGroupBy, readSelectList } from './read-select-list';
import { readPredicate } from './read-where';
import { type ViewDefinition, ViewSqlError, unsupported } from './view-definition';

/** A parsed SELECT as a ViewDefinition, or a ViewSqlError naming the first unsupported part. */
export function readSelect(sql: string, select: SelectStmtShape): ViewDefinition {
  refuseClauses(select);
  const { fact, join } = readFrom(select.fromClause ?? []);
  const selected = readSelectList(select.targetList ?? []);
  const groups = readGroupBy(select.groupClause ?? [], selected);
  const where = select.whereClause ? readPredicate(select.whereClause) : undefined;
  const outputs = selected.outputs;
  const seen = new Set<string>();
  for (const output of outputs) {
    if (seen.has(output.name))
      throw new ViewSqlError(`duplicate output column "${output.name}": give each column its own alias (AS name)`);
    seen.add(output.name);
  }
  if (selected.aggregates.length === 0) throw unsupported('a SELECT without aggregates (nothing to maintain)');
  return {
    sql,
    fact,
    ...(join ? { join } : {}),
    groups,
    aggregates: selected.aggregates,
    outputs,
    ...(where ? { where } : {}),
    tables: join ? [fact.table, join.lookup.table] : [fact.table],
  };
}

function refuseClauses(select: SelectStmtShape): void {
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
