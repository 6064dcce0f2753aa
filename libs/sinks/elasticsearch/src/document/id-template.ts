import { parseKeyTemplate } from '@distributary/config';
import { columnOf, type Row } from '@distributary/core';

/** "{tenant_id}:{id}" -> a function of the root row. Every referenced column must be present and non-null. */
export interface IdTemplate {
  readonly source: string;
  readonly columns: readonly string[];
  render(row: Row): string;
  /** True when `row` holds every column the template needs (e.g. a delete event's key). */
  canRender(row: Row | undefined): boolean;
}

export function compileIdTemplate(template: string): IdTemplate {
  // The same template rules as Redis keys ({{ and }} are literal braces, quoted column names).
  const parts = parseKeyTemplate(template);
  const columns = parts.flatMap((part) => ('column' in part ? [part.column] : []));
  return {
    source: template,
    columns,
    canRender: (row) => row !== undefined && columns.every((c) => (columnOf(row, c) ?? null) !== null),
    render(row) {
      let id = ''; // concatenated part by part: no array per document
      for (const part of parts) {
        if ('literal' in part) {
          id += part.literal;
          continue;
        }
        const value = columnOf(row, part.column);
        if (value === undefined || value === null) {
          throw new Error(`id template "${template}": column ${part.column} is missing or null`);
        }
        id += typeof value === 'object' ? JSON.stringify(value) : String(value);
      }
      return id;
    },
  };
}
