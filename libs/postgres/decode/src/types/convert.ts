import { JsonText, type ColumnValue } from '@distributary/core';
import { parseArrayLiteral, type ArrayElements } from './array-literal';
import { isoDate, isoTimestamp, isoTimestampTz } from './iso-time';
import type { ScalarKind, ValueKind } from './value-kind';

export { isoDate, isoTimestamp, isoTimestampTz, isoYear } from './iso-time';

/**
 * Converts the text form of one value (as pgoutput or a text-mode query sends it) to a ColumnValue,
 * following the type contract (docs/types.md).
 */
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
    case 'exact':
      return text;
    case 'bool':
      return text === 't' || text === 'true';
    case 'json':
      return new JsonText(text);
    case 'bytea':
      return byteaToBase64(text);
    case 'timestamp':
      return isoTimestamp(text);
    case 'timestamptz':
      return isoTimestampTz(text);
    case 'date':
      return isoDate(text);
  }
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
