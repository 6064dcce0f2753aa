/** SQL names from configuration: the one quoting function and canonical form live in libs/core. */
import { quoteTable, splitTable } from '@distributary/core';

export { canonicalTable, parseQualifiedName, quoteIdent, quoteTable } from '@distributary/core';

/** A configured (canonical) table name → `"schema"."table"` for SQL statements. */
export function quoteQualifiedName(qualified: string): string {
  const { schema, table } = splitTable(qualified);
  return quoteTable(schema, table);
}
