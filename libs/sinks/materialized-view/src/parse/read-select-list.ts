import { expectNode, nodeTag, type PgNode } from './pg-ast';
import { describeExpression } from './describe-node';
import type { FuncCallShape } from './pg-shapes';
import { readColumnRef, stringValue } from './read-nodes';
import {
  type Aggregate,
  type AggregateFn,
  type GroupColumn,
  type OutputColumn,
  ViewSqlError,
  formatRef,
  sameColumn,
  unsupported,
} from './view-definition';

const AGGREGATES = new Set<AggregateFn>(['count', 'sum', 'avg', 'min', 'max']);

/** The select list: group columns and aggregates, in the order written. */
export interface SelectList {
  groups: GroupColumn[];
  aggregates: Aggregate[];
  outputs: OutputColumn[];
  /** For each select-list item, its index among the group columns, or -1 for an aggregate. */
  positions: number[];
}

export function readSelectList(targets: PgNode[]): SelectList {
  const groups: GroupColumn[] = [];
  const positions: number[] = [];
  const aggregates: Aggregate[] = [];
  const outputs: OutputColumn[] = [];
  for (const target of targets) {
    const res = expectNode<{ name?: string; val?: PgNode }>(target, 'ResTarget');
    if (!res.val) throw unsupported('an empty select item');
    const tag = nodeTag(res.val);
    if (tag === 'ColumnRef') {
      const fields = expectNode<{ fields?: PgNode[] }>(res.val, 'ColumnRef').fields ?? [];
      if (fields.some((field) => nodeTag(field) === 'A_Star')) throw unsupported('SELECT *');
      const ref = readColumnRef(res.val);
      const name = res.name ?? ref.column;
      outputs.push({ kind: 'group', name, index: groups.length });
      positions.push(groups.length);
      groups.push({ name, ref });
    } else if (tag === 'FuncCall') {
      const aggregate = readAggregate(expectNode<FuncCallShape>(res.val, 'FuncCall'), res.name);
      outputs.push({ kind: 'aggregate', name: aggregate.name, index: aggregates.length });
      positions.push(-1);
      aggregates.push(aggregate);
    } else {
      throw unsupported(`${describeExpression(tag)} in the select list (only group columns and aggregates)`);
    }
  }
  return { groups, aggregates, outputs, positions };
}

function readAggregate(call: FuncCallShape, alias: string | undefined): Aggregate {
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
  return { name, fn: fn as AggregateFn, arg: readColumnRef(args[0]) };
}

/** GROUP BY: exactly the selected group columns, by name or select-list position. */
export function readGroupBy(items: PgNode[], selected: SelectList): GroupColumn[] {
  const selectedGroups = selected.groups;
  const matched = new Set<number>();
  for (const item of items) {
    const tag = nodeTag(item);
    if (tag === 'GroupingSet') throw unsupported('GROUPING SETS / ROLLUP / CUBE');
    let index: number;
    if (tag === 'A_Const') {
      const position = expectNode<{ ival?: { ival?: number } }>(item, 'A_Const').ival?.ival;
      if (position === undefined || position < 1)
        throw unsupported('a GROUP BY constant that is not a select-list position');
      index = groupIndexForPosition(selected, position);
    } else if (tag === 'ColumnRef') {
      const ref = readColumnRef(item);
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

/** Maps a 1-based select-list position to the index among group columns. */
function groupIndexForPosition(selected: SelectList, position: number): number {
  const index = selected.positions[position - 1];
  if (index === undefined || index < 0) throw unsupported(`GROUP BY ${position} (not a plain column)`);
  return index;
}
