import type { Pool } from 'pg';
import type { MaterializedViewSinkConfig } from '@distributary/config';
import type { Row } from '@distributary/core';
import { parseViewSql, type ViewDefinition } from '@distributary/sink-materialized-view';
import { canonicalJson } from '../canonical-json';
import { quoteIdent, quoteTable } from '../oracle/contract-sql';
import { createTextPool } from '../oracle/raw-pool';
import type { SnapshotSlot } from '../oracle/source-snapshot';
import type { KeySample } from './sampling';
import { keyedSide, type SinkSides } from './keyed-side';

/**
 * Materialized view: the expected side is the view's own SQL run on the source in the pass's snapshot;
 * the actual side is the view table. Both are PostgreSQL's text of each value, compared exactly (scale,
 * NaN, ±Infinity, -0, intervals), with two documented exceptions:
 * - group columns of type numeric are keyed by their trimmed decimal (the sink shows them scale-trimmed);
 * - sum/avg of real/double precision compare within a relative 1e-9 (real: 1e-5): PostgreSQL adds
 *   floats in scan order, rounding at each step, so its own result depends on the row order.
 * Known false difference, not folded (a lone -0 shown as 0 must stay a drift): min/max over a group
 * holding values PostgreSQL compares equal but prints differently (0 and -0; 10 and 10.000) — it returns
 * whichever its scan meets last, so the source's SELECT and the view may each show either.
 */
const FLOAT_TYPES = new Set(['real', 'double precision']);
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** `1.500` → `1.5`, `-0.0` → `0`: the key of a numeric group value. */
export function trimDecimal(text: string): string {
  if (!DECIMAL.test(text)) return text;
  let end = text.length;
  if (text.includes('.')) {
    while (text[end - 1] === '0') end--;
    if (text[end - 1] === '.') end--;
  }
  const out = text.slice(0, end);
  return out === '-0' ? '0' : out;
}

export function qualifiedTable(name: string): string {
  return quoteTable(name.includes('.') ? name : `public.${name}`);
}

export interface ViewShape {
  groups: string[];
  aggregates: string[];
  /** Group columns of type numeric (keyed trimmed). */
  numericGroups: Set<string>;
  /** Aggregate outputs compared with a float tolerance, with it. */
  tolerance: Map<string, number>;
}

export function groupKey(shape: ViewShape, row: Record<string, string | null>): string {
  return JSON.stringify(
    shape.groups.map((g) => {
      const value = row[g];
      return value !== null && shape.numericGroups.has(g) ? trimDecimal(value) : value;
    }),
  );
}

async function viewShape(definition: ViewDefinition, viewPool: Pool, table: string): Promise<ViewShape> {
  const { rows } = await viewPool.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, NULL) AS type FROM pg_attribute
     WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [qualifiedTable(table)],
  );
  const types = new Map(rows.map((r) => [r.name, r.type]));
  const groups = definition.outputs.filter((o) => o.kind === 'group').map((o) => o.name);
  const aggregates = definition.outputs.filter((o) => o.kind === 'aggregate').map((o) => o.name);
  const tolerance = new Map<string, number>();
  for (const aggregate of definition.aggregates) {
    const type = types.get(aggregate.name) ?? '';
    if ((aggregate.fn === 'sum' || aggregate.fn === 'avg') && FLOAT_TYPES.has(type))
      tolerance.set(aggregate.name, type === 'real' ? 1e-5 : 1e-9);
  }
  return {
    groups,
    aggregates,
    numericGroups: new Set(groups.filter((g) => types.get(g) === 'numeric')),
    tolerance,
  };
}

function closeEnough(expected: string | null, actual: string | null, relative: number): boolean {
  if (expected === actual) return true;
  if (expected === null || actual === null) return false;
  const a = Number(expected);
  const b = Number(actual);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b));
}

export async function viewSides(
  sink: MaterializedViewSinkConfig,
  source: { url: string; snapshot: SnapshotSlot },
  sample?: KeySample,
): Promise<SinkSides & { definition: ViewDefinition; viewPool: Pool; shape: ViewShape }> {
  const definition = await parseViewSql(sink.sql);
  const viewPool = createTextPool(sink.view.postgres, { max: 2 });
  const shape = await viewShape(definition, viewPool, sink.view.table);
  const groupsByKey = new Map<string, Row>();
  const columns = definition.outputs.map((o) => quoteIdent(o.name)).join(', ');
  const expectedSql = `SELECT * FROM (${sink.sql}) AS expected_view`;
  const actualSql = `SELECT ${columns} FROM ${qualifiedTable(sink.view.table)}`;

  async function* pairs(
    rows: Record<string, string | null>[],
    want: (key: string) => boolean,
    record?: (key: string, group: Row) => void,
  ): AsyncGenerator<[string, unknown]> {
    for (const row of rows) {
      const key = groupKey(shape, row);
      if (!want(key)) continue;
      record?.(key, Object.fromEntries(shape.groups.map((g) => [g, row[g]])));
      yield [key, Object.fromEntries(shape.aggregates.map((a) => [a, row[a]]))];
    }
  }

  return {
    table: definition.fact.table,
    definition,
    viewPool,
    shape,
    expected: keyedSide(
      `source SQL of ${sink.name}`,
      async function* (want, drilling) {
        const rows = await source.snapshot.get().query(expectedSql);
        yield* pairs(rows, want, drilling ? (key, group) => groupsByKey.set(key, group) : undefined);
      },
      sample,
    ),
    actual: keyedSide(
      `view table ${sink.view.table}`,
      async function* (want) {
        yield* pairs((await viewPool.query<Record<string, string | null>>(actualSql)).rows, want);
      },
      sample,
    ),
    sourceKeyOf: (key) => groupsByKey.get(key),
    equal: (expected, actual) => {
      if (shape.tolerance.size === 0) return canonicalJson(expected) === canonicalJson(actual);
      const e = expected as Record<string, string | null>;
      const a = actual as Record<string, string | null>;
      return shape.aggregates.every((name) => {
        const relative = shape.tolerance.get(name);
        return relative === undefined ? e[name] === a[name] : closeEnough(e[name], a[name], relative);
      });
    },
    async close() {
      await viewPool.end();
    },
  };
}
