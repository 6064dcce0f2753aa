/**
 * Elasticsearch's reason for refusing a document names a field and a mapping type, not the cause:
 * `failed to parse field [j.big] of type [long]` for a jsonb number beyond 2^63, `[double]` for a
 * float column's NaN, `[date]` for a timestamp 'infinity'. The sink writes every value exactly as
 * the type contract says (docs/types.md), so such a refusal is a mapping that cannot hold a legal
 * source value; the dead-letter entry says which column, which value and what mapping would hold it.
 */
const FIELD = 'failed to parse field [';
const TYPE = 'of type [';
const PREVIEW = "Preview of field's value: '";

function between(text: string, start: string, end: string): string | undefined {
  const at = text.indexOf(start);
  if (at < 0) return undefined;
  const from = at + start.length;
  const to = text.indexOf(end, from);
  return to < 0 ? undefined : text.slice(from, to);
}

const ADVICE: Record<string, string> = {
  long: 'integers beyond 64 bits (int8 is always within; numeric and json numbers need not be): map it as keyword, or as unsigned_long/double if rounding is acceptable',
  integer: 'integers beyond 32 bits: map it as long or keyword',
  short: 'integers beyond 16 bits: map it as long or keyword',
  byte: 'integers beyond 8 bits: map it as long or keyword',
  unsigned_long: 'negative or fractional numbers, or integers beyond 64 bits: map it as keyword',
  double:
    'NaN, Infinity or numbers beyond double range (float/numeric columns and json numbers can hold them): map it as keyword, or exclude those rows with the document mapping',
  float: 'NaN, Infinity or numbers beyond float range: map it as keyword or double',
  half_float: 'NaN, Infinity or numbers beyond half_float range: map it as keyword or double',
  scaled_float: 'NaN, Infinity or numbers beyond its range: map it as keyword',
  date: "'infinity', '-infinity' or years outside Elasticsearch's date range (a PostgreSQL timestamp may hold them): map it as keyword, or leave those rows out through the document mapping",
  date_nanos: "'infinity', '-infinity', BC or pre-1970 timestamps: map it as date or keyword",
  boolean: 'values that are not booleans: map it as keyword',
};

const JSON_ADVICE =
  'a json/jsonb column is embedded verbatim, so its numbers can be beyond what dynamic mapping guessed from earlier documents: map the column as { type: flattened } (every leaf a keyword) or { type: object, enabled: false } (kept in _source only)';

/** The refusal with the field, its column, its value and what would hold it; unchanged when unknown. */
export function explainRejection(error: string): string {
  if (error.includes('Duplicate field'))
    return (
      'A json column holds duplicate keys, which PostgreSQL keeps as written (json is text) but Elasticsearch refuses; ' +
      'the sink writes values exactly (docs/types.md), it does not drop keys. Use jsonb (which keeps the last value) ' +
      `or map the column through an expression. Elasticsearch said: ${error}`
    );
  const field = between(error, FIELD, ']');
  if (field === undefined) return error;
  const type = between(error.slice(error.indexOf(FIELD)), TYPE, ']') ?? 'unknown';
  const preview = between(error, PREVIEW, "'");
  const column = field.split('.')[0];
  const nested = field.includes('.');
  const advice = nested ? JSON_ADVICE : (ADVICE[type] ?? `values its mapping [${type}] cannot hold: map it as keyword`);
  const value = preview === undefined ? '' : ` (value ${preview})`;
  return (
    `Elasticsearch's mapping [${type}] of field "${field}" cannot hold this legal value of column "${column}"${value}; ` +
    `the sink writes values exactly (docs/types.md), it does not round or drop them. This field can be sent ${advice}. ` +
    `After changing the sink's mappings the index is rebuilt and this dead letter can be replayed. Elasticsearch said: ${error}`
  );
}
