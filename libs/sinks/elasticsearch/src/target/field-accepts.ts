import type { Probe } from './value-probes';

/**
 * Whether an explicitly mapped Elasticsearch field accepts a value (Elasticsearch 8 behaviour,
 * checked against the real server in test/mapping-check.test.ts): numeric types take numbers and
 * numeric strings in range (fractions are truncated for integer types; `coerce: false` refuses strings,
 * and fractions for integer types), never NaN/±Infinity or
 * text; `date` takes ISO-8601 with years 0000–9999 and negative (BC) years, never 'infinity';
 * `date_nanos` only 1970–2262; keyword-like types take any scalar, not a JSON object; object types
 * take JSON objects only, except `enabled: false`, which takes anything. Types not listed here are not
 * judged (accepted). `ignore_malformed: true` makes numeric and date fields accept every scalar (not
 * an object). Oddities of the server, kept because the model must agree with it: integer/short/byte
 * take the string 'NaN' (indexed as 0) while long refuses it; date takes numbers as epoch
 * milliseconds within (-2^63, 2^63), date_nanos from 0 to 2262.
 */
export interface FieldMapping {
  type: string;
  coerce?: boolean;
  ignoreMalformed: boolean;
  enabled?: boolean;
}

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  long: [-(2n ** 63n), 2n ** 63n - 1n],
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
  short: [-32768n, 32767n],
  byte: [-128n, 127n],
  unsigned_long: [0n, 2n ** 64n - 1n],
};

const FLOAT_MAX: Record<string, number> = {
  double: Number.MAX_VALUE,
  float: 3.4028235e38,
  half_float: 65504,
  scaled_float: Number.MAX_VALUE,
};

const KEYWORD_LIKE = new Set(['keyword', 'text', 'match_only_text', 'wildcard', 'search_as_you_type']);
const OBJECT_LIKE = new Set(['object', 'nested', 'flattened']);
const DATES = new Set(['date', 'date_nanos']);
const INTEGER_TEXT = /^-?[0-9]+$/;

/** The value as a number, or undefined when it is no finite number. */
function finiteNumber(probe: Probe): number | undefined {
  if (probe.shape !== 'number' && probe.shape !== 'numeric-text') return undefined;
  const n = Number(probe.shown);
  return Number.isFinite(n) ? n : undefined;
}

/** The number truncated to a whole one, as a bigint (exact for integer text); undefined for NaN, ±Infinity and text. */
function truncated(probe: Probe): bigint | undefined {
  const n = finiteNumber(probe);
  if (n === undefined) return undefined;
  return INTEGER_TEXT.test(probe.shown) ? BigInt(probe.shown) : BigInt(Math.trunc(n));
}

const LENIENT_NAN = new Set(['integer', 'short', 'byte']);
const EPOCH_MILLIS: Record<string, [bigint, bigint]> = {
  date: [-(2n ** 63n) + 1n, 2n ** 63n - 1n],
  date_nanos: [0n, 9_223_372_036_854n],
};

function integerAccepts(type: string, range: [bigint, bigint], probe: Probe): boolean {
  if (probe.shape === 'numeric-text' && probe.shown === 'NaN' && LENIENT_NAN.has(type)) return true;
  const whole = truncated(probe);
  return whole !== undefined && whole >= range[0] && whole <= range[1];
}

function yearOf(shown: string): number {
  const sign = shown.startsWith('-') ? -1 : 1;
  const digits = shown.replace(/^[-+]/, '').split('-')[0];
  return sign * Number(digits);
}

function dateAccepts(type: string, probe: Probe): boolean {
  if (probe.shape === 'number' || probe.shape === 'numeric-text') {
    const millis = truncated(probe); // epoch_millis, fractions taken
    const [min, max] = EPOCH_MILLIS[type];
    return millis !== undefined && millis >= min && millis <= max;
  }
  if (probe.shape !== 'time') return false;
  if (probe.shown === 'infinity' || probe.shown === '-infinity') return false;
  const year = yearOf(probe.shown);
  if (year > 9999) return false;
  return type === 'date' || (year >= 1970 && year <= 2262);
}

export function fieldAccepts(mapping: FieldMapping, probe: Probe): boolean {
  const { type } = mapping;
  const range = INTEGER_RANGES[type];
  const floatMax = FLOAT_MAX[type];
  if (mapping.ignoreMalformed && probe.shape !== 'json' && (range || floatMax !== undefined || DATES.has(type)))
    return true;
  if (range || floatMax !== undefined) {
    if (mapping.coerce === false && probe.shape === 'numeric-text') return false;
    if (mapping.coerce === false && range && !Number.isInteger(finiteNumber(probe))) return false;
    if (range) return integerAccepts(type, range, probe);
    const n = finiteNumber(probe);
    return n !== undefined && Math.abs(n) <= floatMax;
  }
  if (DATES.has(type)) return dateAccepts(type, probe);
  if (type === 'boolean') return probe.shape === 'bool';
  if (KEYWORD_LIKE.has(type)) return probe.shape !== 'json';
  if (OBJECT_LIKE.has(type)) return mapping.enabled === false || probe.shape === 'json';
  return true;
}
