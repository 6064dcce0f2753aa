import type { FidelityPipeline } from './fidelity-pipeline';

/** Each row of `sql` as PostgreSQL's text of the whole record (every column's own output function), sorted. */
export async function recordTexts(pipeline: Pick<FidelityPipeline, 'db'>, sql: string): Promise<string[]> {
  const rows = await pipeline.db.sql<{ r: string }>(`SELECT v::text AS r FROM (${sql}) v`);
  return rows.map((row) => row.r).sort();
}

/** What `wantSql` gives beside what the pipeline's view `index` holds, both as sorted record texts. */
export async function viewAgainst(
  pipeline: Pick<FidelityPipeline, 'db' | 'views'>,
  wantSql: string,
  index = 0,
): Promise<{ want: string[]; got: string[] }> {
  const want = await recordTexts(pipeline, wantSql);
  const got = await recordTexts(pipeline, `SELECT * FROM ${pipeline.views[index].view.table}`);
  return { want, got };
}
