/** Checks that span sections: unique sink names, and every table a sink reads is a source table. */
import { canonicalTable, parseQualifiedName } from '@distributary/core';
import type { PathSegment } from './issues';
import { sinkConflicts } from './sink-conflicts';
import type { DistributaryConfig, SinkConfig } from './schema/root';

export interface TableReference {
  table: string;
  path: PathSegment[];
}

/** Keys that name a joined table inside an object that also has `on` (lookups, children). */
const JOIN_TABLE_KEYS = ['from', 'children'];

/**
 * Every source table a sink reads: its `from`, the tables of nested joins (`{ from | children, on }`)
 * and the tables of a view's SQL.
 */
export function tablesReadBy(sink: SinkConfig, sinkPath: PathSegment[] = []): TableReference[] {
  const found: TableReference[] = [];
  if ('from' in sink && typeof sink.from === 'string')
    found.push({ table: qualify(sink.from), path: [...sinkPath, 'from'] });
  const visit = (value: unknown, path: PathSegment[]): void => {
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, [...path, i]));
    else if (value && typeof value === 'object') {
      const isJoin = 'on' in value;
      for (const [key, child] of Object.entries(value)) {
        if (isJoin && JOIN_TABLE_KEYS.includes(key) && typeof child === 'string') {
          found.push({ table: qualify(child), path: [...path, key] });
        } else visit(child, [...path, key]);
      }
    }
  };
  for (const [key, value] of Object.entries(sink)) if (key !== 'from') visit(value, [...sinkPath, key]);
  if ('sql' in sink && typeof sink.sql === 'string') {
    for (const table of tablesInSql(sink.sql)) found.push({ table, path: [...sinkPath, 'sql'] });
  }
  return found;
}

/**
 * FROM / JOIN targets of a view's SQL, in canonical form. The view sink parses the SQL fully with
 * PostgreSQL's parser; this only lists tables: one forward scan for the words FROM and JOIN outside
 * string literals and quoted names, each followed by a (possibly quoted) qualified name.
 */
export function tablesInSql(sql: string): string[] {
  const tables = new Set<string>();
  const lower = sql.toLowerCase();
  const isWord = (c: string | undefined): boolean => c !== undefined && /[a-z0-9_$]/.test(c);
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const close = sql.indexOf(c, i + 1);
      i = close < 0 ? sql.length : close + 1;
      continue;
    }
    const keyword = lower.startsWith('from', i) ? 4 : lower.startsWith('join', i) ? 4 : 0;
    if (keyword && !isWord(lower[i - 1]) && !isWord(lower[i + keyword])) {
      let start = i + keyword;
      while (start < sql.length && /\s/.test(sql[start])) start++;
      let end = start;
      // The name: quoted parts (with "" inside), plain characters and dots.
      while (end < sql.length) {
        if (sql[end] === '"') {
          end++;
          while (end < sql.length && !(sql[end] === '"' && sql[end + 1] !== '"')) end += sql[end] === '"' ? 2 : 1;
          end++;
        } else if (isWord(lower[end]) || sql[end] === '.') end++;
        else break;
      }
      try {
        const { schema, table } = parseQualifiedName(sql.slice(start, end));
        tables.add(canonicalTable(schema, table));
      } catch {
        // not a table name (a subquery, a function): the view sink's parser reports what is wrong
      }
      i = Math.max(end, i + keyword);
      continue;
    }
    i++;
  }
  return [...tables];
}

function qualify(table: string): string {
  return table.includes('.') ? table : `public.${table}`;
}

export function crossCheck(config: DistributaryConfig): { path: PathSegment[]; message: string }[] {
  const issues: { path: PathSegment[]; message: string }[] = [];
  const firstIndexByName = new Map<string, number>();
  config.sinks.forEach((sink, index) => {
    const first = firstIndexByName.get(sink.name);
    if (first === undefined) firstIndexByName.set(sink.name, index);
    else {
      issues.push({
        path: ['sinks', index, 'name'],
        message: `expected a unique sink name, found "${sink.name}" again (already used by sinks[${first}])`,
      });
    }
  });
  issues.push(...sinkConflicts(config));
  const sourceTables = new Set(config.source.tables);
  config.sinks.forEach((sink, index) => {
    const reported = new Set<string>();
    for (const ref of tablesReadBy(sink, ['sinks', index])) {
      if (sourceTables.has(ref.table) || reported.has(ref.table)) continue;
      reported.add(ref.table);
      issues.push({
        path: ref.path,
        message: `expected a table listed in source.tables (${[...sourceTables].join(', ')}), found "${ref.table}"`,
      });
    }
  });
  issues.push(...subscriptionChecks(config, sourceTables));
  return issues;
}

/** Subscriptions read source tables and need the gateway's signing keys. */
function subscriptionChecks(
  config: DistributaryConfig,
  sourceTables: Set<string>,
): { path: PathSegment[]; message: string }[] {
  const issues: { path: PathSegment[]; message: string }[] = [];
  const subscriptions = config.subscriptions ?? [];
  if (subscriptions.length > 0 && !config.gateway)
    issues.push({ path: ['subscriptions'], message: 'subscriptions need a `gateway` section with signing `keys`' });
  subscriptions.forEach((subscription, index) => {
    if (!sourceTables.has(subscription.table))
      issues.push({
        path: ['subscriptions', index, 'table'],
        message: `expected a table listed in source.tables (${[...sourceTables].join(', ')}), found "${subscription.table}"`,
      });
  });
  return issues;
}
