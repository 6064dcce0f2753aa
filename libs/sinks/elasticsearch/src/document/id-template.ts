import type { Row } from '@distributary/core';

/** "{tenant_id}:{id}" -> a function of the root row. Every referenced column must be present and non-null. */
export interface IdTemplate {
  readonly source: string;
  readonly columns: readonly string[];
  render(row: Row): string;
  /** True when `row` holds every column the template needs (e.g. a delete event's key). */
  canRender(row: Row | undefined): boolean;
}

export function compileIdTemplate(template: string): IdTemplate {
  const parts = template.split(/(\{[a-z_][a-z0-9_$]*\})/);
  const columns = parts.filter((p) => /^\{.*\}$/.test(p)).map((p) => p.slice(1, -1));
  if (columns.length === 0) throw new Error(`id template "${template}" names no {column}`);
  return {
    source: template,
    columns,
    canRender: (row) => row !== undefined && columns.every((c) => row[c] !== undefined && row[c] !== null),
    render(row) {
      return parts
        .map((part) => {
          if (!/^\{.*\}$/.test(part)) return part;
          const value = row[part.slice(1, -1)];
          if (value === undefined || value === null) {
            throw new Error(`id template "${template}": column ${part.slice(1, -1)} is missing or null`);
          }
          return typeof value === 'object' ? JSON.stringify(value) : String(value);
        })
        .join('');
    },
  };
}
