import type { ColumnValue } from '@distributary/core';

/** Turns a value's log form into PostgreSQL's input form. */
export type InputConversion = (value: string) => string;

const DATE_TIME_TYPES = new Set(['date', 'timestamp without time zone', 'timestamp with time zone']);

/** `-0043-03-15T12:00:00Z` → `0044-03-15T12:00:00Z BC`; `+10000-01-01` → `10000-01-01`; others unchanged. */
export function dateTimeInput(value: string): string {
  const first = value.charCodeAt(0);
  const signed = first === 45 /* - */ || first === 43; /* + */
  if (!signed && !value.startsWith('0000-')) return value;
  const end = value.indexOf('-', 1);
  if (end < 0) return value; // '-infinity'
  const year = Number(value.slice(0, end));
  if (!Number.isInteger(year)) return value;
  const rest = value.slice(end);
  if (year > 0) return `${year}${rest}`;
  return `${String(1 - year).padStart(4, '0')}${rest} BC`;
}

/** base64 (the log's bytea) → PostgreSQL's hex input `\x…`. */
export function byteaInput(value: string): string {
  return `\\x${Buffer.from(value, 'base64').toString('hex')}`;
}

/**
 * The conversion a column of this type (format_type without modifier; arrays end in `[]`) needs, if any.
 *
 * The log holds some values in a form PostgreSQL's input functions do not read back as the same value
 * (docs/types.md): dates and timestamps as ISO-8601 with astronomical years (`-0043-03-15`, `0000-…`,
 * `+10000-…`), bytea as base64. A mirrored row is written through PostgreSQL's input functions, so
 * such values are turned back into PostgreSQL's input form first — otherwise a BC date is refused
 * ("time zone displacement out of range") and base64 text is stored as its ASCII bytes.
 * Every other value's log form is valid PostgreSQL input already.
 */
export function inputConversion(baseType: string): InputConversion | undefined {
  const element = baseType.endsWith('[]') ? baseType.slice(0, baseType.indexOf('[')) : baseType;
  if (DATE_TIME_TYPES.has(element)) return dateTimeInput;
  if (element === 'bytea') return byteaInput;
  return undefined;
}

/** Applies `convert` to a value, or to every element of a (nested) array value. */
export function convertValue(value: ColumnValue, convert: InputConversion): ColumnValue {
  if (typeof value === 'string') return convert(value);
  if (Array.isArray(value)) return value.map((element) => convertValue(element as ColumnValue, convert));
  return value;
}
