import type { ColumnValue } from '@distributary/core';
import { parseArrayLiteral, type ArrayElements } from './array-literal';
import type { ScalarKind, ValueKind } from './value-kind';

/** Converts the text form of one value (as pgoutput or a text-mode query sends it) to a ColumnValue. */
export function convertValue(text: string | null, kind: ValueKind): ColumnValue {
  if (text === null) return null;
  if ('array' in kind) return convertElements(parseArrayLiteral(text, kind.delimiter), kind.array);
  return convertScalar(text, kind.scalar);
}

function convertElements(elements: ArrayElements, kind: ValueKind): ColumnValue[] {
  return elements.map((element) => {
    if (element === null) return null;
    if (Array.isArray(element)) return convertElements(element, kind);
    return 'array' in kind ? convertValue(element, kind) : convertScalar(element, kind.scalar);
  });
}

export function convertScalar(text: string, kind: ScalarKind): ColumnValue {
  switch (kind) {
    case 'int':
      return Number(text);
    case 'decimal':
    case 'text':
      return text;
    case 'float':
      return floatValue(text);
    case 'bool':
      return text === 't' || text === 'true';
    case 'json':
      return JSON.parse(text) as ColumnValue;
    case 'bytea':
      return byteaToBase64(text);
    case 'timestamp':
      return isoTimestamp(text);
    case 'timestamptz':
      return isoTimestamp(text);
  }
}

function floatValue(text: string): number | string {
  if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return text;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`not a float: ${text}`);
  return value;
}

/** bytea in hex output ('\x0a0b'); the old escape format is decoded too. */
export function byteaToBase64(text: string): string {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex').toString('base64');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === '\\') {
      bytes.push(0x5c);
      i++;
    } else if (text[i] === '\\') {
      bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('base64');
}

/**
 * '2024-01-02 03:04:05.123456+05:30' → '2024-01-02T03:04:05.123456+05:30'; a zone written '+00'
 * becomes '+00:00'. infinity, -infinity and BC dates pass through unchanged.
 */
export function isoTimestamp(text: string): string {
  const match = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)?(:\d\d)?(:\d\d)?$/.exec(text);
  if (!match) return text;
  const [, date, time, zoneHours, zoneMinutes, zoneSeconds] = match;
  const zone = zoneHours ? `${zoneHours}${zoneMinutes ?? ':00'}${zoneSeconds ?? ''}` : '';
  return `${date}T${time}${zone}`;
}
