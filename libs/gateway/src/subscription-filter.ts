/**
 * A configured subscription, compiled: its JSONata filter (the Redis cache sink's language, with
 * `:name` parameters rewritten to variables), the columns the filter reads, and — when the filter is
 * `column = :param` (alone or as a conjunct of `and`) — that equality, which the fan-out indexes.
 * Rows are evaluated as the cache sink does (parsedForExpressions: json/jsonb parsed, every other
 * value per the type contract). A filter that fails on a row counts as "no match".
 */
import jsonata from 'jsonata';
import { columnOf as ownColumn, parsedForExpressions, type Row } from '@distributary/core';
import { FILTER_PARAM_PREFIX, rewriteFilterParams, type SubscriptionConfig } from '@distributary/config';
import type { OrderTerm } from './row-order';
import type { SubscriptionParams } from './tokens';

const MAX_PARAM_LENGTH = 256;
const INTEGER = /^-?(0|[1-9][0-9]{0,14})$/;

export class ParamsError extends Error {}

interface AstNode {
  type?: string;
  value?: unknown;
  lhs?: AstNode;
  rhs?: AstNode;
  steps?: AstNode[];
  [key: string]: unknown;
}

export interface Equality {
  column: string;
  param: string;
}

/** `3`, `-12` → numbers (they compare with int2/int4 columns); anything else stays a string. */
export function bindParam(value: string): string | number {
  return INTEGER.test(value) ? Number(value) : value;
}

/** The index key of a value for an equality filter: primitives only (JSONata `=` never matches others). */
export function indexKey(value: unknown): string | undefined {
  const parsed = parsedForExpressions(value);
  if (typeof parsed === 'string' || typeof parsed === 'number' || typeof parsed === 'boolean')
    return `${typeof parsed}:${String(parsed)}`;
  return undefined;
}

function columnOf(node: AstNode | undefined): string | undefined {
  if (node?.type !== 'path' || node.steps?.length !== 1) return undefined;
  const step = node.steps[0];
  const plain = step.type === 'name' && !step.stages && !step.predicate && !step.group;
  return plain && typeof step.value === 'string' ? step.value : undefined;
}

function paramOf(node: AstNode | undefined): string | undefined {
  if (node?.type !== 'variable' || typeof node.value !== 'string') return undefined;
  return node.value.startsWith(FILTER_PARAM_PREFIX) ? node.value.slice(FILTER_PARAM_PREFIX.length) : undefined;
}

function findEquality(node: AstNode | undefined): Equality | undefined {
  if (node?.type !== 'binary') return undefined;
  if (node.value === 'and') return findEquality(node.lhs) ?? findEquality(node.rhs);
  if (node.value !== '=') return undefined;
  const column = columnOf(node.lhs) ?? columnOf(node.rhs);
  const param = paramOf(node.rhs) ?? paramOf(node.lhs);
  return column !== undefined && param !== undefined ? { column, param } : undefined;
}

/** Every name step anywhere in the AST: a superset of the columns the filter reads. */
function namesIn(node: unknown, found: Set<string>, depth = 0): void {
  if (depth > 200 || !node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) namesIn(item, found, depth + 1);
    return;
  }
  const ast = node as AstNode;
  if (ast.type === 'name' && typeof ast.value === 'string') found.add(ast.value);
  for (const child of Object.values(ast)) if (child && typeof child === 'object') namesIn(child, found, depth + 1);
}

export class CompiledSubscription {
  readonly name: string;
  readonly table: string;
  readonly params: string[];
  readonly columns: string[] | undefined;
  readonly limit: number | undefined;
  readonly order: OrderTerm[];
  /** `order` or `limit`: a top-N window (top-n.ts). */
  readonly windowed: boolean;
  readonly orderColumns: string[];
  readonly equality: Equality | undefined;
  /** The whole filter is that equality: evaluated natively (same result as JSONata's `=` on a row). */
  readonly equalityOnly: boolean;
  /** Names the filter may read (a superset; intersected with the table's columns by the reader). */
  readonly filterNames: Set<string>;
  private readonly expression: jsonata.Expression | undefined;

  constructor(config: SubscriptionConfig) {
    this.name = config.name;
    this.table = config.table;
    this.params = config.params;
    this.columns = config.columns;
    this.limit = config.limit;
    this.order = (config.order ?? []).map(({ column, direction }) => ({ column, direction }));
    this.orderColumns = this.order.map((t) => t.column);
    this.windowed = config.limit !== undefined || config.order !== undefined;
    this.filterNames = new Set();
    this.equalityOnly = false;
    if (config.filter !== undefined) {
      this.expression = jsonata(rewriteFilterParams(config.filter).expression);
      const ast = this.expression.ast() as AstNode;
      this.equality = findEquality(ast);
      this.equalityOnly = this.equality !== undefined && ast.type === 'binary' && ast.value === '=';
      namesIn(ast, this.filterNames);
    }
  }

  /** The request's parameters: exactly the declared ones, each present once and short. */
  parseParams(query: URLSearchParams, reserved: Set<string>): SubscriptionParams {
    const params: SubscriptionParams = {};
    for (const [name, value] of query) {
      if (reserved.has(name)) continue;
      if (!this.params.includes(name)) throw new ParamsError(`unknown parameter "${name.slice(0, 64)}"`);
      if (Object.hasOwn(params, name)) throw new ParamsError(`parameter "${name}" given twice`);
      if (value.length > MAX_PARAM_LENGTH) throw new ParamsError(`parameter "${name}" is too long`);
      params[name] = value;
    }
    for (const name of this.params)
      if (!Object.hasOwn(params, name)) throw new ParamsError(`missing parameter "${name}"`);
    return params;
  }

  bind(params: SubscriptionParams): BoundFilter {
    return new BoundFilter(this, this.expression, params);
  }

  /** The projection of a row sent to clients. */
  project(row: Row): Row {
    if (!this.columns) return row;
    const out: Row = {};
    for (const column of this.columns) if (Object.hasOwn(row, column)) out[column] = row[column];
    return out;
  }
}

export class BoundFilter {
  private readonly bindings: Record<string, string | number>;
  /** The equality index key of this subscriber, when the filter has one. */
  readonly indexKey: string | undefined;

  constructor(
    readonly subscription: CompiledSubscription,
    private readonly expression: jsonata.Expression | undefined,
    readonly params: SubscriptionParams,
  ) {
    this.bindings = {};
    for (const [name, value] of Object.entries(params)) this.bindings[FILTER_PARAM_PREFIX + name] = bindParam(value);
    const equality = subscription.equality;
    this.indexKey = equality ? indexKey(bindParam(params[equality.param])) : undefined;
  }

  async matches(row: Row | undefined): Promise<boolean> {
    if (!row) return false;
    if (!this.expression) return true;
    // `column = :param` alone: JSONata's `=` is true exactly for an equal primitive of the same type,
    // which is what the index key compares (a missing, null or structured value never matches).
    const equality = this.subscription.equalityOnly ? this.subscription.equality : undefined;
    if (equality) return this.indexKey !== undefined && indexKey(ownColumn(row, equality.column)) === this.indexKey;
    try {
      return (await this.expression.evaluate(parsedForExpressions(row), this.bindings)) === true;
    } catch {
      return false;
    }
  }
}
