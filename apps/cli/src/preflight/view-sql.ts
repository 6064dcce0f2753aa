/**
 * The view SQL of every view sink, parsed by the real PostgreSQL parser (the materialized-view sink's
 * parseViewSql): what the schema alone cannot check. Returns one located issue per refused view.
 */
import { formatPath, locateInFile, type ConfigIssue, type DistributaryConfig } from '@distributary/config';

export async function viewSqlIssues(file: string, config: DistributaryConfig): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const views = config.sinks.flatMap((sink, index) => ('view' in sink ? [{ sink, index }] : []));
  if (views.length === 0) return issues;
  const { parseViewSql } = await import('@distributary/sink-materialized-view');
  for (const { sink, index } of views) {
    try {
      await parseViewSql(sink.sql);
    } catch (error) {
      const path = ['sinks', index, 'sql'];
      issues.push({ path: formatPath(path), message: (error as Error).message, ...locateInFile(file, path) });
    }
  }
  return issues;
}
