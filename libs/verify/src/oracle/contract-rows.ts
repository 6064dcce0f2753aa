import { JsonText, type ColumnValue, type Row } from '@distributary/core';
import type { ContractScalar, OracleTable } from './contract-sql';

/**
 * Turns one rendered row (each column the jsonb text from contract-sql.ts) into a Row as the type
 * contract defines it. The jsonb holds only small integers as numbers (int2/int4/oid), so JSON.parse
 * is exact here; json/jsonb arrive as their exact text and become JsonText.
 */
export function contractRow(table: OracleTable, rendered: Record<string, string | null>): Row {
  const row: Row = {};
  table.columns.forEach((column, i) => {
    const text = rendered[`c${i}`];
    if (text === null || text === undefined) {
      row[column.name] = null;
      return;
    }
    const value = JSON.parse(text) as unknown;
    if ('scalar' in column.kind) row[column.name] = leaf(value, column.kind.scalar);
    else {
      const { dims, items } = value as { dims: number[]; items: unknown[] };
      row[column.name] = reshape(
        items.map((item) => leaf(item, (column.kind as { arrayOf: ContractScalar }).arrayOf)),
        dims,
      );
    }
  });
  return row;
}

function leaf(value: unknown, scalar: ContractScalar): ColumnValue {
  if (value === null) return null;
  if (scalar === 'json') return new JsonText(value as string);
  return value as ColumnValue;
}

/** Flat elements in storage order → nested arrays of the given dimension lengths. */
function reshape(items: ColumnValue[], dims: number[]): ColumnValue[] {
  if (dims.length <= 1) return items;
  const size = items.length / dims[0];
  const out: ColumnValue[] = [];
  for (let i = 0; i < dims[0]; i++) out.push(reshape(items.slice(i * size, (i + 1) * size), dims.slice(1)));
  return out;
}
