import { columnOf, type ColumnValue, type Row } from '@distributary/core';

/**
 * Rows from events and rows read from the source must match on join columns even when one side says
 * 5 and the other "5" (int4 vs int8 foreign keys): tuples are compared by their text form.
 */
export function tupleKey(row: Row, columns: readonly string[]): string | undefined {
  // the JSON array of the values' text, built without the intermediate array (called several times
  // per event): '["5"]', '["a","1"]' — the same text JSON.stringify(values) gives
  let key = '[';
  for (let i = 0; i < columns.length; i++) {
    const value = columnOf(row, columns[i]);
    if (value === undefined || value === null) return undefined;
    if (i > 0) key += ',';
    // a number's or bigint's text needs no JSON escaping: quoted as it is (the same text, less work)
    if (typeof value === 'number' || typeof value === 'bigint') key += `"${value}"`;
    else key += JSON.stringify(typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return `${key}]`;
}

export function pick(row: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const column of columns) out[column] = columnOf(row, column) as ColumnValue; // undefined when absent
  return out;
}
