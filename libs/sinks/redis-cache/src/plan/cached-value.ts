import type { RedisCacheSinkConfig } from '@distributary/config';
import { EventRejectedError, JsonText, exactJson, type ColumnValue, type Row } from '@distributary/core';

/** What is stored under a row's cache key: a JSON document, or hash field/value pairs. */
export type CachedValue = { format: 'json'; document: string } | { format: 'hash'; pairs: string[] };

/**
 * Projection and encoding of a row (the type contract, docs/types.md). json: the projected row as one
 * JSON document written by exactJson — json/jsonb values embedded verbatim, int8/numeric/floats as
 * their exact text. hash: one field per column — strings as they are, numbers and booleans as text,
 * a json/jsonb value as its exact JSON text (a JSON null is the field `null`, a JSON string keeps
 * its quotes), arrays as JSON, SQL NULL columns left out.
 */
export class ValueRenderer {
  private readonly fields: [output: string, column: string][] | undefined;

  constructor(private readonly config: RedisCacheSinkConfig['value']) {
    const fields = config.fields;
    this.fields =
      fields === undefined ? undefined : Array.isArray(fields) ? fields.map((c) => [c, c]) : Object.entries(fields);
  }

  render(row: Row): CachedValue {
    const projected = this.project(row);
    if (this.config.format === 'json') return { format: 'json', document: exactJson(projected) };
    const pairs: string[] = [];
    for (const [field, value] of Object.entries(projected)) {
      const text = hashText(value);
      if (text !== null) pairs.push(field, text);
    }
    return { format: 'hash', pairs };
  }

  private project(row: Row): Row {
    if (!this.fields) return row;
    const projected: Row = {};
    for (const [output, column] of this.fields) {
      if (!Object.hasOwn(row, column))
        throw new EventRejectedError(`value field "${output}" needs column "${column}", absent from the row`);
      projected[output] = row[column];
    }
    return projected;
  }
}

function hashText(value: ColumnValue): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof JsonText) return value.text;
  return exactJson(value);
}
