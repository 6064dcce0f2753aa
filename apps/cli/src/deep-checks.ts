/**
 * Checks that need more than the schema, run by `validate` and before `run` starts anything: a view's
 * SQL is parsed by the real PostgreSQL parser (the materialized-view sink's parseViewSql).
 */
import {
  ConfigFileError,
  formatPath,
  locateInFile,
  type ConfigIssue,
  type DistributaryConfig,
} from '@distributary/config';

export async function deepCheck(file: string, config: DistributaryConfig): Promise<void> {
  const issues: ConfigIssue[] = [];
  const views = config.sinks.flatMap((sink, index) => ('view' in sink ? [{ sink, index }] : []));
  if (views.length > 0) {
    const { parseViewSql } = await import('@distributary/sink-materialized-view');
    for (const { sink, index } of views) {
      try {
        await parseViewSql(sink.sql);
      } catch (error) {
        const path = ['sinks', index, 'sql'];
        issues.push({ path: formatPath(path), message: (error as Error).message, ...locateInFile(file, path) });
      }
    }
  }
  if (issues.length > 0) throw new ConfigFileError(file, issues);
}
