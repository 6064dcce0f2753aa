/**
 * The fidelity suite's own reading of the type contract (docs/types.md), written independently of the
 * connector's conversion code: from PostgreSQL's text output of a value, the JSON text a sink document
 * (Elasticsearch _source, Redis JSON cache) must hold for it, and the Redis hash field.
 */
export type Family = 'number' | 'bool' | 'json' | 'bytea' | 'timestamp' | 'timestamptz' | 'date' | 'text';

export interface ColumnSpec {
  name: string;
  sqlType: string;
  family: Family;
  /** Arrays: the source text is a JSON array of the element texts (see elementsSql); `nested` for int[][]. */
  array?: 'flat' | 'nested';
}

function iso(text: string, family: 'timestamp' | 'timestamptz' | 'date'): string {
  if (text === 'infinity' || text === '-infinity') return text;
  const bc = text.endsWith(' BC');
  let rest = bc ? text.slice(0, -3) : text;
  let zone = '';
  if (family === 'timestamptz') {
    if (!rest.endsWith('+00')) throw new Error(`expected a UTC session: ${text}`);
    rest = rest.slice(0, -3);
    zone = 'Z';
  }
  const dash = rest.indexOf('-');
  const written = Number(rest.slice(0, dash));
  const year = bc ? 1 - written : written;
  const yearText =
    year < 0 ? `-${String(-year).padStart(4, '0')}` : year > 9999 ? `+${year}` : String(year).padStart(4, '0');
  return `${yearText}${rest.slice(dash).replace(' ', 'T')}${zone}`;
}

/** The JSON text of one value in a sink document. */
export function documentJson(family: Family, text: string): string {
  switch (family) {
    case 'number':
      return text;
    case 'bool':
      return text === 't' || text === 'true' ? 'true' : 'false';
    case 'json':
      return text;
    case 'bytea':
      return JSON.stringify(Buffer.from(text.slice(2), 'hex').toString('base64'));
    case 'timestamp':
    case 'timestamptz':
    case 'date':
      return JSON.stringify(iso(text, family));
    case 'text':
      return JSON.stringify(text);
  }
}

/** The Redis hash field of one non-null value. */
export function hashText(family: Family, text: string): string {
  const json = documentJson(family, text);
  return family === 'number' || family === 'bool' || family === 'json' ? json : (JSON.parse(json) as string);
}

/** Source text of a column as selected by the oracle query: scalars as output text, arrays as JSON. */
export function columnJson(column: ColumnSpec, source: string | null): string {
  if (source === null) return 'null';
  if (!column.array) return documentJson(column.family, source);
  if (column.array === 'nested') return source; // array_to_json of an int[][]: exact
  const elements = JSON.parse(source) as (string | null)[];
  return `[${elements.map((e) => (e === null ? 'null' : documentJson(column.family, e))).join(',')}]`;
}

/** The SELECT expression giving a column's source text for the oracle. */
export function oracleSql(column: ColumnSpec): string {
  const ident = `"${column.name.replace(/"/g, '""')}"`;
  if (column.array === 'nested') return `array_to_json(${ident})::text`;
  // Elements by subscript (not unnest, which expands composite elements into their fields).
  if (column.array === 'flat')
    return `CASE WHEN ${ident} IS NOT NULL THEN coalesce((SELECT json_agg(${ident}[i]::text ORDER BY i) FROM generate_subscripts(${ident}, 1) AS i)::text, '[]') END`;
  return ident;
}

/** The document (Elasticsearch _source, Redis JSON cache) a row must be, keys in column order. */
export function expectedDocument(columns: ColumnSpec[], row: (string | null)[]): string {
  return `{${columns.map((c, i) => `${JSON.stringify(c.name)}:${columnJson(c, row[i])}`).join(',')}}`;
}

/** The Redis hash a row must be: SQL NULL columns have no field. */
export function expectedHash(columns: ColumnSpec[], row: (string | null)[]): Record<string, string> {
  const out: Record<string, string> = {};
  columns.forEach((c, i) => {
    const source = row[i];
    if (source === null) return;
    out[c.name] = c.array ? columnJson(c, source) : hashText(c.family, source);
  });
  return out;
}
