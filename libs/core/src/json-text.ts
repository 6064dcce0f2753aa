/**
 * A json/jsonb column value: PostgreSQL's own text of it, kept exactly (numbers beyond double
 * precision, -0, 1e-400, key order and duplicate keys of `json`, a top-level JSON null that is not
 * SQL NULL, a top-level JSON string with its quotes). Sinks embed it verbatim with exactJson().
 *
 * Plain JSON.stringify writes it as a JSON string holding the text (never a lossy number), and the pg
 * driver sends the text as the parameter, so code that does not know about it still loses nothing.
 */
export class JsonText {
  constructor(readonly text: string) {}

  toJSON(): string {
    return this.text;
  }

  toPostgres(): string {
    return this.text;
  }

  toString(): string {
    return this.text;
  }

  /**
   * The value as JavaScript data, for expressions (JSONata filters and fields): numbers become
   * doubles here, so an expression that copies a number beyond 2^53 rounds it. Copy the column itself
   * to keep it exact.
   */
  parse(): unknown {
    return JSON.parse(this.text) as unknown;
  }
}

export function isJsonText(value: unknown): value is JsonText {
  return value instanceof JsonText;
}

/** Line breaks between JSON tokens (a `json` value keeps its input's layout) become spaces, so a
 *  document stays one line (NDJSON). A raw line break cannot occur inside a JSON string. */
function oneLine(text: string): string {
  return text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, ' ') : text;
}

function holdsJsonText(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (value instanceof JsonText) return true;
  if (Array.isArray(value)) return value.some(holdsJsonText);
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
  for (const key in value) if (holdsJsonText((value as Record<string, unknown>)[key])) return true;
  return false;
}

/**
 * THE serializer for rows and documents written to a sink: JSON text in which every JsonText is
 * embedded verbatim (its exact numbers, nulls and strings), everything else as JSON.stringify writes
 * it. Use it instead of JSON.stringify wherever a row or a document leaves for a store.
 */
export function exactJson(value: unknown): string {
  if (!holdsJsonText(value)) return JSON.stringify(value);
  // One native pass: each JsonText becomes a marker string (a NUL, which JSON escapes, and a nonce no
  // value can guess), then every marker is replaced by the verbatim text in one linear scan.
  const texts: string[] = [];
  const nonce = Math.random().toString(36).slice(2, 10);
  const json = JSON.stringify(value, function (this: Record<string, unknown>, key: string, item: unknown) {
    const original = this[key];
    if (!(original instanceof JsonText)) return item;
    texts.push(oneLine(original.text));
    return `\u0000${nonce}:${texts.length - 1}`;
  }) as string | undefined;
  if (json === undefined) return 'null';
  const marker = `"\\u0000${nonce}:`;
  let out = '';
  let from = 0;
  for (let at = json.indexOf(marker); at >= 0; at = json.indexOf(marker, from)) {
    const end = json.indexOf('"', at + marker.length);
    out += json.slice(from, at) + texts[Number(json.slice(at + marker.length, end))];
    from = end + 1;
  }
  return out + json.slice(from);
}

/**
 * Replaces JsonText values by their parsed JavaScript value (doubles for numbers), for expression
 * engines that need plain data. Copies only what it changes.
 */
export function parsedForExpressions<T>(value: T): T {
  if (!holdsJsonText(value)) return value;
  if (value instanceof JsonText) return value.parse() as T;
  if (Array.isArray(value)) return value.map((item: unknown) => parsedForExpressions(item)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = parsedForExpressions(item);
  return out as T;
}
