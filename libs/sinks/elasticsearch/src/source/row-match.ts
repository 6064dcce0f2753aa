import type { Row } from '@distributary/core';

/**
 * Rows from events and rows read from the source must match on join columns even when one side says
 * 5 and the other "5" (int4 vs int8 foreign keys): tuples are compared by their text form.
 */
export function tupleKey(row: Row, columns: readonly string[]): string | undefined {
  const values: string[] = [];
  for (const column of columns) {
    const value = row[column];
    if (value === undefined || value === null) return undefined;
    values.push(typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return JSON.stringify(values);
}

export function pick(row: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const column of columns) out[column] = row[column];
  return out;
}
