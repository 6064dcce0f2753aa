/**
 * The legal values of a source column that are hardest for an Elasticsearch field to hold, as the
 * sink writes them (the type contract, docs/types.md): the extremes of each integer type, numeric and
 * float NaN/±Infinity and out-of-range magnitudes, timestamp 'infinity' and years beyond 9999 or BC,
 * a json object. A mapping that refuses one of them would dead-letter a row one day; the mapping check
 * at open() refuses it first.
 */
export type ProbeShape =
  /** a JSON number */
  | 'number'
  /** a JSON string holding a number in PostgreSQL's text (int8, numeric, floats: may be 'NaN', 'Infinity') */
  | 'numeric-text'
  /** a JSON string holding a date or timestamp per the contract (may be 'infinity', BC, past 9999) */
  | 'time'
  | 'bool'
  /** a JSON string holding any text */
  | 'text'
  /** a json/jsonb value embedded verbatim (may be an object) */
  | 'json';

export interface Probe {
  /** The value as the document carries it. */
  shown: string;
  shape: ProbeShape;
}

/** How a document field gets the column's value: copied, or through `$number(col)`. */
export type FieldCast = 'copy' | 'number';

const probes = (shape: ProbeShape, ...shown: string[]): Probe[] => shown.map((s) => ({ shown: s, shape }));

const MAX_DOUBLE = probes('number', '1.7976931348623157e+308', '-1.7976931348623157e+308');

const COPIED: Record<string, Probe[]> = {
  int2: probes('number', '32767', '-32768'),
  int4: probes('number', '2147483647', '-2147483648'),
  oid: probes('number', '4294967295'),
  int8: probes('numeric-text', '9223372036854775807', '-9223372036854775808'),
  numeric: probes('numeric-text', 'NaN', 'Infinity', '100000000000000000000', '-1'),
  float4: probes('numeric-text', 'NaN', 'Infinity', '-Infinity', '3.4028235e+38'),
  float8: probes('numeric-text', 'NaN', 'Infinity', '-Infinity', '1.7976931348623157e+308'),
  bool: probes('bool', 'true'),
  timestamp: probes('time', 'infinity', '-infinity', '+10000-01-01T00:00:00', '-4712-01-01T00:00:00'),
  timestamptz: probes('time', 'infinity', '-infinity', '+10000-01-01T00:00:00Z', '-4712-01-01T00:00:00Z'),
  date: probes('time', 'infinity', '-infinity', '+10000-01-01', '-4712-01-01'),
  json: probes('json', '{"a":1}'),
  jsonb: probes('json', '{"a":1}'),
  bytea: probes('text', 'AP8Q'),
  money: probes('text', '$1,234.56'),
};

/** `$number(col)`: a finite double (JSONata refuses NaN/Infinity and text that is no number before Elasticsearch sees it). */
const AS_NUMBER: Record<string, Probe[]> = {
  int2: COPIED.int2,
  int4: COPIED.int4,
  oid: COPIED.oid,
  int8: probes('number', String(Number('9223372036854775807')), String(Number('-9223372036854775808'))),
  float4: probes('number', '3.4028234663852886e+38', '-3.4028234663852886e+38'),
  bool: probes('number', '1'),
  timestamp: [],
  timestamptz: [],
  date: [],
};

const CONSTRAINED_NUMERIC = /^numeric\(([0-9]{1,4}),(-?[0-9]{1,4})\)$/;

/** numeric(p,s) holds NaN and magnitudes below 10^(p-s), never ±Infinity: its largest values. */
function constrainedNumeric(sqlType: string, cast: FieldCast): Probe[] | undefined {
  const match = CONSTRAINED_NUMERIC.exec(sqlType);
  if (!match) return undefined;
  const [precision, scale] = [Number(match[1]), Number(match[2])];
  const whole = precision - scale;
  if (scale < 0 || whole < 1) return undefined;
  const largest = '9'.repeat(whole) + (scale > 0 ? `.${'9'.repeat(scale)}` : '');
  if (cast === 'number') return probes('number', String(Number(largest)), String(-Number(largest)));
  return probes('numeric-text', 'NaN', largest, `-${largest}`);
}

/**
 * The hard legal values of a column of pg_catalog base type `baseType` ('other': text output);
 * `sqlType` (format_type) narrows numeric(p,s).
 */
export function probesFor(baseType: string, cast: FieldCast, sqlType = ''): Probe[] {
  const constrained = baseType === 'numeric' ? constrainedNumeric(sqlType, cast) : undefined;
  if (constrained) return constrained;
  if (cast === 'number') return AS_NUMBER[baseType] ?? MAX_DOUBLE;
  return COPIED[baseType] ?? probes('text', 'abc');
}
