import type { Pool } from 'pg';
import type { MaterializedViewSinkConfig } from '@distributary/config';
import { createRawTextPool, quoteIdent } from '@distributary/pg-source';
import type { Row } from '@distributary/core';
import { parseViewSql, type ViewDefinition } from '@distributary/sink-materialized-view';
import type { KeySample } from './sampling';
import { keyedSide, type SinkSides } from './keyed-side';

/**
 * Materialized view: the expected side is the view's own SQL run on the source; the actual side is
 * the view table. Key: the group column values (as text); value: the aggregate outputs. Numbers are
 * compared as numbers to 12 significant digits (the sink trims numeric scale, keeps the largest sum
 * scale seen and computes avg from its running sum, so the text forms may differ while the values agree).
 */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function normalizeValue(text: string | null): string | null {
  if (text === null || !NUMBER.test(text)) return text;
  return String(Number(Number(text).toPrecision(12)));
}

export function qualifiedTable(name: string): string {
  const [schema, table] = name.includes('.') ? name.split('.') : ['public', name];
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

async function* rowsOf(
  pool: Pool,
  sql: string,
  definition: ViewDefinition,
  want: (key: string) => boolean,
  record?: (key: string, group: Row) => void,
): AsyncGenerator<[string, unknown]> {
  const result = await pool.query<Record<string, string | null>>(sql);
  const groups = definition.outputs.filter((o) => o.kind === 'group').map((o) => o.name);
  const aggregates = definition.outputs.filter((o) => o.kind === 'aggregate').map((o) => o.name);
  for (const row of result.rows) {
    const groupValues = groups.map((g) => normalizeValue(row[g]));
    const key = JSON.stringify(groupValues);
    if (!want(key)) continue;
    record?.(key, Object.fromEntries(groups.map((g) => [g, row[g]])));
    yield [key, Object.fromEntries(aggregates.map((a) => [a, normalizeValue(row[a])]))];
  }
}

export async function viewSides(
  sink: MaterializedViewSinkConfig,
  source: { url: string },
  sample?: KeySample,
): Promise<SinkSides & { definition: ViewDefinition; viewPool: Pool }> {
  const definition = await parseViewSql(sink.sql);
  const sourcePool = createRawTextPool(source.url, { max: 2 });
  const viewPool = createRawTextPool(sink.view.postgres, { max: 2 });
  const groupsByKey = new Map<string, Row>();
  const columns = definition.outputs.map((o) => quoteIdent(o.name)).join(', ');
  const expectedSql = `SELECT * FROM (${sink.sql}) AS expected_view`;
  const actualSql = `SELECT ${columns} FROM ${qualifiedTable(sink.view.table)}`;
  return {
    table: definition.fact.table,
    definition,
    viewPool,
    expected: keyedSide(
      `source SQL of ${sink.name}`,
      (want, drilling) =>
        rowsOf(
          sourcePool,
          expectedSql,
          definition,
          want,
          drilling ? (key, group) => groupsByKey.set(key, group) : undefined,
        ),
      sample,
    ),
    actual: keyedSide(`view table ${sink.view.table}`, (want) => rowsOf(viewPool, actualSql, definition, want), sample),
    sourceKeyOf: (key) => groupsByKey.get(key),
    async close() {
      await Promise.all([sourcePool.end(), viewPool.end()]);
    },
  };
}
