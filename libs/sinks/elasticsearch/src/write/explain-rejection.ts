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
const OBJECT_FIELD = 'object mapping for [';
/** Two documents indexed at the same time mapped a new field differently (one as an object, one not). */
const MERGE_CONFLICT = "can't merge a non object mapping [";
const EXISTING_MAPPING = 'Existing mapping for [';
const WHITESPACE_NAME = 'Field name cannot contain only whitespace: [';

function between(text: string, start: string, end: string): string | undefined {
  const at = text.indexOf(start);
  if (at < 0) return undefined;
  const from = at + start.length;
  const to = text.indexOf(end, from);
  return to < 0 ? undefined : text.slice(from, to);
}

const KEEP =
  ', or keep the type with ignore_malformed: true (the document is indexed and _source keeps the value; only that value is left out of the index and the document is listed in _ignored)';

const ADVICE: Record<string, string> = {
  long: `integers beyond 64 bits (int8 is always within; numeric and json numbers need not be), NaN or text: map it as keyword, or as unsigned_long/double if rounding is acceptable${KEEP}`,
  integer: `integers beyond 32 bits, NaN or text: map it as long or keyword${KEEP}`,
  short: `integers beyond 16 bits, NaN or text: map it as long or keyword${KEEP}`,
  byte: `integers beyond 8 bits, NaN or text: map it as long or keyword${KEEP}`,
  unsigned_long: `negative numbers, integers beyond 64 bits, NaN or text: map it as keyword${KEEP}`,
  double: `NaN, Infinity or numbers beyond double range (float/numeric columns and json numbers can hold them): map it as keyword, or exclude those rows with the document mapping${KEEP}`,
  float: `NaN, Infinity or numbers beyond float range: map it as keyword or double${KEEP}`,
  half_float: `NaN, Infinity or numbers beyond half_float range: map it as keyword or double${KEEP}`,
  scaled_float: `NaN, Infinity or numbers beyond its range: map it as keyword${KEEP}`,
  date: `'infinity', '-infinity' or years outside Elasticsearch's date range (a PostgreSQL timestamp may hold them): map it as keyword, or leave those rows out through the document mapping${KEEP}`,
  date_nanos: `'infinity', '-infinity', BC or pre-1970 timestamps: map it as date or keyword${KEEP}`,
  boolean: 'values that are not booleans: map it as keyword',
  keyword:
    'JSON objects (a json/jsonb column is embedded as JSON): map it as { type: flattened } or { type: object, enabled: false }',
  object:
    'values that are not JSON objects (a json/jsonb column may hold a string, number, array or null in another row): map it as { type: flattened } or { type: object, enabled: false }, or as keyword for a column that is not json',
};

const JSON_ADVICE =
  'a json/jsonb column is embedded verbatim, so its numbers can be beyond what dynamic mapping guessed from earlier documents: map the column as { type: flattened } (every leaf a keyword) or { type: object, enabled: false } (kept in _source only)';

/** ES field types whose refusals are alike for this advice. */
const SAME_ADVICE: Record<string, string> = {
  text: 'keyword',
  match_only_text: 'keyword',
  wildcard: 'keyword',
  search_as_you_type: 'keyword',
  nested: 'object',
  flattened: 'object',
};

/**
 * What an Elasticsearch field of `type` cannot hold and a mapping that would hold it: the one source
 * of the advice given in dead letters and by the mapping check when the sink opens.
 */
export function mappingAdvice(type: string, jsonColumn = false): string {
  if (jsonColumn) return ADVICE.keyword;
  return ADVICE[SAME_ADVICE[type] ?? type] ?? `values its mapping [${type}] cannot hold: map it as keyword`;
}

/** The refusal with the field, its column, its value and what would hold it; unchanged when unknown. */
export function explainRejection(error: string): string {
  if (error.includes('Duplicate field'))
    return (
      'A json column holds duplicate keys, which PostgreSQL keeps as written (json is text) but Elasticsearch refuses; ' +
      'the sink writes values exactly (docs/types.md), it does not drop keys. Use jsonb (which keeps the last value) ' +
      `or map the column through an expression. Elasticsearch said: ${error}`
    );
  const blank = between(error, WHITESPACE_NAME, ']');
  if (blank !== undefined)
    return (
      `Column "${blank}" has a name of only whitespace, which Elasticsearch refuses as a field name, so every row of ` +
      `the table is refused; the sink copies columns exactly (docs/types.md), it does not rename or drop them. Give ` +
      `the column another field name with the sink's document mapping. Elasticsearch said: ${error}`
    );
  const dotted = between(error, 'mapper [', '] cannot be changed from type [') ?? between(error, EXISTING_MAPPING, ']');
  if (dotted !== undefined && (error.includes('to [ObjectMapper]') || error.includes('must be of type object')))
    return (
      `Column "${dotted}" and a column named "${dotted}.…" collide in Elasticsearch, which reads a dot in a field name ` +
      `as an object path (so "${dotted}" would have to be an object); the sink copies columns exactly (docs/types.md), ` +
      `it does not rename them. Give one of the columns another field name with the sink's document mapping, or map ` +
      `the index with subobjects: false. Elasticsearch said: ${error}`
    );
  // A field mapped as an object (from an earlier json/jsonb object) given a scalar, array of scalars or null.
  // The same, when the row's dynamic mapping update raced another request's (concurrent bulk requests).
  const objectField = between(error, OBJECT_FIELD, ']') ?? between(error, MERGE_CONFLICT, ']');
  const field = objectField ?? between(error, FIELD, ']');
  if (field === undefined) return error;
  const type =
    objectField !== undefined ? 'object' : (between(error.slice(error.indexOf(FIELD)), TYPE, ']') ?? 'unknown');
  const preview = between(error, PREVIEW, "'");
  const column = field.split('.')[0];
  if (type.startsWith('_'))
    return (
      `Column "${column}" has the name of Elasticsearch's metadata field ${type}, which no document may hold, so every ` +
      `row of the table is refused; the sink copies columns exactly (docs/types.md), it does not rename or drop them. ` +
      `Give the column another field name with the sink's document mapping. Elasticsearch said: ${error}`
    );
  const nested = field.includes('.');
  const advice = nested ? JSON_ADVICE : mappingAdvice(type);
  const value = preview === undefined ? '' : ` (value ${preview})`;
  return (
    `Elasticsearch's mapping [${type}] of field "${field}" cannot hold this legal value of column "${column}"${value}; ` +
    `the sink writes values exactly (docs/types.md), it does not round or drop them. This field can be sent ${advice}. ` +
    `After changing the sink's mappings the index is rebuilt and this dead letter can be replayed. Elasticsearch said: ${error}`
  );
}
