import type { Pool } from 'pg';
import type { MaterializedViewSinkConfig } from '@distributary/config';
import type { ViewDefinition } from '@distributary/sink-materialized-view';
import { quoteIdent } from '../oracle/contract-sql';
import { groupKey, qualifiedTable, type ViewShape } from '../sides/view-sides';
import type { DirectRepairCounts } from './direct-repair';
import { emptyCounts } from './direct-repair';

/**
 * The SQL condition selecting one group's fact rows; undefined when the view joins (the group's
 * columns may live in the lookup table).
 */
export function groupWhere(definition: ViewDefinition, group: (string | null)[]): string | undefined {
  if (definition.join) return undefined; // group columns may live in the lookup table: snapshot the whole fact table
  return definition.groups
    .map((g, i) => {
      const value = group[i];
      const column = quoteIdent(g.ref.column);
      return value === null ? `${column} IS NULL` : `${column} = '${value.replace(/'/g, "''")}'`;
    })
    .join(' AND ');
}

/**
 * Materialized view rows are a function of the sink's group state: on every event that touches a
 * group, the sink rewrites that group's row from its state (INSERT … SELECT … ON CONFLICT DO UPDATE),
 * and deletes it when the group empties. A view row that was damaged in the target (or a row for a
 * group with no source rows) is therefore fixed here directly, inside ONE target transaction that first
 * locks the sink's rows in view_positions — the same rows apply() locks — so no batch is applied in
 * between: the rows are re-read from the source SQL under that lock and written (or deleted). A source
 * change the sink has not applied yet is harmless: when the sink applies it, it rewrites the group from
 * its state again. What this does NOT fix is damaged sink state (`contrib`/`groups` tables); the
 * repair snapshot path does (it re-emits the group's fact rows through the log).
 */
export async function rewriteViewRows(
  sink: MaterializedViewSinkConfig,
  shape: ViewShape,
  viewPool: Pool,
  expectedNow: () => Promise<Map<string, Record<string, string | null>>>,
  keys: string[],
  /** The sink's key in the view registry (viewStateKey(sink, pipeline)); default: the sink name. */
  stateKey = sink.name,
): Promise<DirectRepairCounts> {
  const counts = emptyCounts();
  const { groups, aggregates } = shape;
  const table = qualifiedTable(sink.view.table);
  const client = await viewPool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `SELECT 1 FROM ${quoteIdent(sink.view.stateSchema)}.view_positions WHERE sink = $1 ORDER BY partition FOR UPDATE`,
      [stateKey],
    );
    const expected = await expectedNow();
    const { rows: present } = await client.query<Record<string, string | null>>(
      `SELECT ${groups.map(quoteIdent).join(', ')} FROM ${table}`,
    );
    const presentByKey = new Map(present.map((r) => [groupKey(shape, r), r]));
    for (const key of keys) {
      const want = expected.get(key);
      const have = presentByKey.get(key);
      const match = groups.map((g, i) => `${quoteIdent(g)} IS NOT DISTINCT FROM $${i + 1}`).join(' AND ');
      const groupValues = groups.map((g) => (have ?? want)?.[g] ?? null);
      if (!want) {
        if (have) await client.query(`DELETE FROM ${table} WHERE ${match}`, groupValues);
        counts.deleted++;
        continue;
      }
      if (have) {
        const sets = aggregates.map((a, i) => `${quoteIdent(a)} = $${groups.length + i + 1}`).join(', ');
        await client.query(`UPDATE ${table} SET ${sets} WHERE ${match}`, [
          ...groupValues,
          ...aggregates.map((a) => want[a]),
        ]);
      } else {
        const columns = [...groups, ...aggregates];
        await client.query(
          `INSERT INTO ${table} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
          columns.map((c) => want[c]),
        );
      }
      counts.rewritten++;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return counts;
}
