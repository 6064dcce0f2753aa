import type { ColumnValue, Row } from './event';

/**
 * The row's value of column `name`, or undefined when the row has no such column — never a member
 * inherited from Object.prototype: a column may be named `constructor`, `toString` or `valueOf`, and a
 * row that lacks it (a delete's key, a generated column) must not seem to hold a function.
 */
export function columnOf(row: Row, name: string): ColumnValue | undefined {
  return Object.hasOwn(row, name) ? row[name] : undefined;
}
