import { isJsonText } from '@distributary/core';
import { LosslessNumber, parseLosslessJson } from './oracle/lossless-json';

/**
 * JSON with object keys sorted at every level, so equal values always serialise identically. Exact:
 * a LosslessNumber (a number read from a store's JSON) is written as it was read, and a JsonText
 * (json/jsonb kept as PostgreSQL's text) is read losslessly, so 12345678901234567890 never becomes
 * …7000 on either side of a comparison.
 */
export function canonicalJson(value: unknown): string {
  if (value instanceof LosslessNumber) return value.text;
  if (isJsonText(value)) return canonicalJson(parseLosslessJson(value.text));
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
