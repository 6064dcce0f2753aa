import type { ParseResult } from '@pgsql/types';
import { loadModule, parseSync } from 'pgsql-parser';
import { expectNode, nodeTag, type PgNode } from './pg-ast';
import { readSelect } from './select-reader';
import { type ViewDefinition, ViewSqlError, unsupported } from './view-definition';
export * from './view-definition';

let parserReady: Promise<void> | undefined;

/** Loads the libpg-query WebAssembly module once; parseViewSqlSync needs it. */
export function loadViewSqlParser(): Promise<void> {
  parserReady ??= loadModule();
  return parserReady;
}

/**
 * Parses a materialized-view declaration with the real PostgreSQL parser (libpg-query) and accepts
 * exactly the incrementally maintainable subset:
 *   SELECT <group cols>, count(*) | count(col) | sum(col) | avg(col) | min(col) | max(col) [AS name], ...
 *   FROM <fact table> [alias] [JOIN <lookup table> [alias] ON <col> = <col>]
 *   [WHERE col op literal | col IS [NOT] NULL | col [NOT] IN (literals), joined by AND]
 *   GROUP BY <group cols>
 * Anything else is refused with a ViewSqlError naming the unsupported part.
 */
export async function parseViewSql(sql: string): Promise<ViewDefinition> {
  await loadViewSqlParser();
  return parseViewSqlSync(sql);
}

/** Synchronous form, for callers that awaited loadViewSqlParser() before. */
export function parseViewSqlSync(sql: string): ViewDefinition {
  let result: ParseResult;
  try {
    result = parseSync(sql);
  } catch (error) {
    if (error instanceof Error && /not initialized/i.test(error.message))
      throw new Error('the view SQL parser is not loaded: await loadViewSqlParser() first');
    throw new ViewSqlError(`invalid view SQL: ${error instanceof Error ? error.message : String(error)}`);
  }
  const statements = result.stmts ?? [];
  if (statements.length !== 1) throw unsupported(`${statements.length} statements (exactly one SELECT)`);
  const statement = statements[0].stmt as PgNode | undefined;
  if (!statement) throw unsupported('empty statement');
  const tag = nodeTag(statement);
  if (tag !== 'SelectStmt') throw unsupported(`${tag} (only SELECT)`);
  return readSelect(sql, expectNode(statement, 'SelectStmt'));
}
