import { exactJson, type Row } from '@distributary/core';
import type { readRelated } from '@distributary/sink-elasticsearch';
import { quoteIdent, selectRendered } from './contract-sql';
import { contractRow } from './contract-rows';
import type { SourceSnapshot } from './source-snapshot';

type SnapshotReader = Parameters<typeof readRelated>[1];
type RowCondition = Parameters<SnapshotReader['select']>[1][number];

/**
 * The Elasticsearch sink's joined-row reads (readRelated) answered from the verification snapshot,
 * with contract values rendered by PostgreSQL: rows of `table` whose `columns` equal one of the
 * condition tuples, in the requested order (SQL fragments over the alias `t`, built by the sink).
 */
export function snapshotSelect(snapshot: SourceSnapshot): SnapshotReader {
  return {
    async select(table: string, conditions: RowCondition[], orderBy: readonly string[] = []): Promise<Row[]> {
      const live = conditions.filter((c) => c.tuples.length > 0);
      if (live.length === 0) return [];
      const info = await snapshot.describe(table);
      const params: string[] = [];
      const predicates = live.map((condition) => {
        params.push(exactJson(condition.tuples));
        const type = (c: string): string => {
          const sqlType = info.types.get(c);
          if (!sqlType) throw new Error(`column ${c} does not exist in ${table}`);
          return sqlType;
        };
        const cols = condition.columns.map((c) => `t.${quoteIdent(c)}`).join(', ');
        const xcols = condition.columns.map((c) => `x.${quoteIdent(c)}`).join(', ');
        const defs = condition.columns.map((c) => `${quoteIdent(c)} ${type(c)}`).join(', ');
        return `(${cols}) IN (SELECT ${xcols} FROM jsonb_to_recordset($${params.length}::jsonb) AS x(${defs}))`;
      });
      const order = orderBy.length ? ` ORDER BY ${orderBy.join(', ')}` : '';
      const rows = await snapshot.query(`${selectRendered(info)} WHERE ${predicates.join(' OR ')}${order}`, params);
      return rows.map((r) => contractRow(info, r));
    },
  };
}
