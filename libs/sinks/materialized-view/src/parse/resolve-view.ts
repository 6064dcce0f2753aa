import { createHash } from 'node:crypto';
import { SourceShapeError, splitTable } from '@distributary/core';
import type { Catalog, ColumnType } from './catalog';
import {
  type AggregateFn,
  type ColumnRef,
  type CompareOp,
  type Literal,
  type Side,
  type ViewDefinition,
  type ViewTable,
  ViewSqlError,
  formatRef,
} from './view-sql';

/** A view whose column references are bound to the fact or lookup table, with source types. */
export interface BoundColumn {
  side: Side;
  column: string;
  type: ColumnType;
}

export type BoundPredicate =
  | { kind: 'and'; args: BoundPredicate[] }
  | { kind: 'compare'; column: BoundColumn; op: CompareOp; value: Literal }
  | { kind: 'null-test'; column: BoundColumn; negated: boolean }
  | { kind: 'in'; column: BoundColumn; values: Literal[]; negated: boolean };

/**
 * How a running sum of one argument is kept (see view-statements.ts):
 * - integer: an exact numeric sum;
 * - numeric: the finite values' exact sum, counters of NaN/+Infinity/-Infinity, and per-scale counts
 *   (PostgreSQL's sum keeps the largest display scale of its inputs);
 * - float: as numeric (each value converted through its shortest exact text), plus a count of -0;
 * - interval: an interval sum (interval addition is exact, field by field).
 */
export type SumKind = 'integer' | 'numeric' | 'float' | 'interval';

export interface BoundArgument {
  column: BoundColumn;
  /** Some aggregate needs the running numeric sum of this argument (sum, avg). */
  needsSum: boolean;
  /** How the running sum is kept (set when needsSum). */
  sumKind?: SumKind;
  /** Some aggregate needs its extreme values (min, max): recomputed from contributions. */
  needsExtremes: boolean;
}

export interface BoundAggregate {
  name: string;
  fn: AggregateFn;
  /** Index into `args`; absent for count(*). */
  arg?: number;
  outputType: string;
}

export interface BoundGroup {
  name: string;
  column: BoundColumn;
  /** Type of the group column in the view (numeric without modifier: values are scale-trimmed). */
  outputType: string;
  trimScale: boolean;
}

export interface ResolvedView {
  definition: ViewDefinition;
  factTable: string;
  lookupTable?: string;
  /** Columns mirrored from each side (every column the view reads, join columns included). */
  factColumns: BoundColumn[];
  lookupColumns: BoundColumn[];
  join?: { factColumn: BoundColumn; lookupColumn: BoundColumn };
  groups: BoundGroup[];
  args: BoundArgument[];
  aggregates: BoundAggregate[];
  where?: BoundPredicate;
  /** Changes whenever the view's meaning changes (SQL or source types): the stored one decides rebuilds. */
  fingerprint: string;
}

const SUM_TYPES: Record<string, string> = {
  smallint: 'bigint',
  integer: 'bigint',
  bigint: 'numeric',
  numeric: 'numeric',
  real: 'real',
  'double precision': 'double precision',
  interval: 'interval',
};

const AVG_TYPES: Record<string, string> = {
  smallint: 'numeric',
  integer: 'numeric',
  bigint: 'numeric',
  numeric: 'numeric',
  real: 'double precision',
  'double precision': 'double precision',
  interval: 'interval',
};

const SUM_KINDS: Record<string, SumKind> = {
  smallint: 'integer',
  integer: 'integer',
  bigint: 'integer',
  numeric: 'numeric',
  real: 'float',
  'double precision': 'float',
  interval: 'interval',
};

export function resolveView(definition: ViewDefinition, catalog: Catalog): ResolvedView {
  const binder = new Binder(definition, catalog);
  const args: BoundArgument[] = [];
  const aggregates: BoundAggregate[] = definition.aggregates.map((aggregate) => {
    if (!aggregate.arg) return { name: aggregate.name, fn: aggregate.fn, outputType: 'bigint' };
    const column = binder.bind(aggregate.arg);
    let index = args.findIndex((arg) => arg.column.side === column.side && arg.column.column === column.column);
    if (index < 0) {
      args.push({ column, needsSum: false, needsExtremes: false });
      index = args.length - 1;
    }
    const arg = args[index];
    if (aggregate.fn === 'sum' || aggregate.fn === 'avg') {
      arg.needsSum = true;
      arg.sumKind = SUM_KINDS[column.type.baseType];
    }
    if (aggregate.fn === 'min' || aggregate.fn === 'max') arg.needsExtremes = true;
    return {
      name: aggregate.name,
      fn: aggregate.fn,
      arg: index,
      outputType: outputType(aggregate.fn, aggregate.arg, column),
    };
  });
  const groups: BoundGroup[] = definition.groups.map((group) => {
    const column = binder.bind(group.ref);
    const trimScale = column.type.baseType === 'numeric';
    return { name: group.name, column, outputType: trimScale ? 'numeric' : column.type.sqlType, trimScale };
  });
  const where = definition.where ? binder.bindPredicate(definition.where) : undefined;
  let join: ResolvedView['join'];
  if (definition.join) {
    const left = binder.bind(definition.join.left);
    const right = binder.bind(definition.join.right);
    if (left.side === right.side)
      throw new ViewSqlError('unsupported join condition: only ON <fact column> = <lookup column>');
    join = left.side === 'fact' ? { factColumn: left, lookupColumn: right } : { factColumn: right, lookupColumn: left };
    const lookupShape = catalog.get(definition.join.lookup.table);
    const primaryKey = lookupShape?.primaryKey ?? [];
    if (primaryKey.length !== 1 || primaryKey[0] !== join.lookupColumn.column)
      throw new SourceShapeError(
        `view lookup table ${definition.join.lookup.table} must be joined on its single-column primary key ` +
          `(it is ${primaryKey.length ? primaryKey.join(', ') : 'missing'}; the view joins on ${join.lookupColumn.column})`,
      );
  }
  const resolved: Omit<ResolvedView, 'fingerprint'> = {
    definition,
    factTable: definition.fact.table,
    ...(definition.join ? { lookupTable: definition.join.lookup.table } : {}),
    factColumns: binder.used('fact'),
    lookupColumns: binder.used('lookup'),
    ...(join ? { join } : {}),
    groups,
    args,
    aggregates,
    ...(where ? { where } : {}),
  };
  return { ...resolved, fingerprint: fingerprintOf(resolved) };
}

function outputType(fn: AggregateFn, ref: ColumnRef, column: BoundColumn): string {
  if (fn === 'count') return 'bigint';
  if (fn === 'min' || fn === 'max') return column.type.sqlType;
  const table = fn === 'sum' ? SUM_TYPES : AVG_TYPES;
  const type = table[column.type.baseType];
  if (!type)
    throw new SourceShapeError(
      `${fn}(${formatRef(ref)}) is not supported over type ${column.type.baseType}: use a numeric column ` +
        `(smallint, integer, bigint, numeric, real, double precision) or an interval`,
    );
  return type;
}

function fingerprintOf(view: Omit<ResolvedView, 'fingerprint'>): string {
  const { definition, ...shape } = view;
  const { sql: _sql, ...meaning } = definition;
  return createHash('sha256')
    .update(JSON.stringify({ version: 2, meaning, shape }))
    .digest('hex')
    .slice(0, 32);
}

class Binder {
  private readonly usedColumns = { fact: new Map<string, BoundColumn>(), lookup: new Map<string, BoundColumn>() };

  constructor(
    private readonly definition: ViewDefinition,
    private readonly catalog: Catalog,
  ) {}

  bind(ref: ColumnRef): BoundColumn {
    const side = this.sideOf(ref);
    const table = this.tableOf(side);
    const type = this.catalog.get(table.table)?.columns.get(ref.column);
    if (!type) throw new ViewSqlError(`column ${formatRef(ref)} does not exist in ${table.table}`);
    if (type.generated)
      throw new SourceShapeError(
        `column ${formatRef(ref)} of ${table.table} is a generated column: logical replication does not send its ` +
          `values (docs/types.md), so a view cannot read it; aggregate the columns it is computed from instead`,
      );
    const bound: BoundColumn = { side, column: ref.column, type };
    this.usedColumns[side].set(ref.column, bound);
    return bound;
  }

  bindPredicate(predicate: NonNullable<ViewDefinition['where']>): BoundPredicate {
    switch (predicate.kind) {
      case 'and':
        return { kind: 'and', args: predicate.args.map((arg) => this.bindPredicate(arg)) };
      case 'compare':
        return { ...predicate, column: this.bind(predicate.column) };
      case 'null-test':
        return { ...predicate, column: this.bind(predicate.column) };
      case 'in':
        return { ...predicate, column: this.bind(predicate.column) };
    }
  }

  used(side: Side): BoundColumn[] {
    return [...this.usedColumns[side].values()];
  }

  private tableOf(side: Side): ViewTable {
    if (side === 'fact') return this.definition.fact;
    if (!this.definition.join) throw new Error('no lookup table in this view');
    return this.definition.join.lookup;
  }

  private sideOf(ref: ColumnRef): Side {
    const { fact, join } = this.definition;
    if (ref.relation) {
      if (matchesTable(fact, ref.relation)) return 'fact';
      if (join && matchesTable(join.lookup, ref.relation)) return 'lookup';
      throw new ViewSqlError(`unknown table or alias "${ref.relation}" in ${formatRef(ref)}`);
    }
    if (!join) return 'fact';
    const inFact = this.catalog.get(fact.table)?.columns.has(ref.column) ?? false;
    const inLookup = this.catalog.get(join.lookup.table)?.columns.has(ref.column) ?? false;
    if (inFact && inLookup) throw new ViewSqlError(`column reference "${ref.column}" is ambiguous: qualify it`);
    if (inLookup) return 'lookup';
    if (inFact) return 'fact';
    throw new ViewSqlError(`column ${ref.column} does not exist in ${fact.table} or ${join.lookup.table}`);
  }
}

function matchesTable(table: ViewTable, relation: string): boolean {
  if (table.alias) return relation === table.alias;
  const bare = splitTable(table.table).table;
  return relation === table.table || relation === bare;
}
