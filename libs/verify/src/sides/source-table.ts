import type { Row } from '@distributary/core';

export function pickKey(row: Row, keyColumns: readonly string[]): Row {
  return Object.fromEntries(keyColumns.map((c) => [c, row[c]]));
}
