/** `name` double-quoted, every `"` doubled: valid SQL for any identifier. */
export function quoteIdent(name: string): string {
  return `"${name.split('"').join('""')}"`;
}

function isPlainStart(code: number): boolean {
  return (code >= 97 && code <= 122) || code === 95;
}

function isPlainChar(code: number): boolean {
  return isPlainStart(code) || (code >= 48 && code <= 57) || code === 36;
}

/** True when `name` needs no quotes: lower-case letters, digits, _ and $, not starting with a digit or $. */
export function isPlainIdent(name: string): boolean {
  if (name.length === 0 || !isPlainStart(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) if (!isPlainChar(name.charCodeAt(i))) return false;
  return true;
}

/** `name` as it must be written in SQL: bare when plain, quoted otherwise. */
export function identText(name: string): string {
  return isPlainIdent(name) ? name : quoteIdent(name);
}

/**
 * The canonical `schema.table` of a table: the one form of qualified names the product handles
 * (configured tables and columns, events' tables), with each part written as PostgreSQL would need it:
 * plain lower-case identifiers bare (`public.products`, so existing names are unchanged), anything
 * else double-quoted with `"` doubled (`public."Order Items"`, `"a.b"."x ""y"""`). It round-trips
 * through parseQualifiedName, which reads SQL's identifier syntax in one forward scan: unquoted
 * identifiers fold to lower case, quoted ones are taken verbatim.
 */
export function canonicalTable(schema: string, table: string): string {
  return `${identText(schema)}.${identText(table)}`;
}

/** `"schema"."table"`, always quoted: for SQL statements. */
export function quoteTable(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

const MAX_IDENT_BYTES = 63;

/**
 * Reads `name`, `schema.name`, `"Quoted "" Name"` or a mix (spaces around the dot allowed). A bare name
 * means schema `public`. Throws an Error saying what is wrong.
 */
export function parseQualifiedName(text: string): { schema: string; table: string } {
  const parts = readIdentifiers(text, 2);
  return parts.length === 1 ? { schema: 'public', table: parts[0] } : { schema: parts[0], table: parts[1] };
}

/** Dot-separated identifiers, at most `max` of them. */
function readIdentifiers(text: string, max: number): string[] {
  const parts: string[] = [];
  let i = 0;
  const n = text.length;
  const skipSpaces = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  for (;;) {
    skipSpaces();
    if (text[i] === '"') {
      let part = '';
      for (i++; ; i++) {
        if (i >= n) throw new Error('unclosed quoted identifier (a " is missing)');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i++;
          } else break;
        } else part += text[i];
      }
      i++;
      if (part === '') throw new Error('empty quoted identifier ""');
      parts.push(part);
    } else {
      const start = i;
      while (i < n && text[i] !== '.' && text[i] !== '"' && text[i] !== ' ' && text[i] !== '\t') i++;
      const raw = text.slice(start, i);
      const folded = raw.toLowerCase();
      if (folded !== raw && isPlainIdent(folded)) {
        // PostgreSQL would fold it silently; a user writing Products almost always means "Products".
        throw new Error(
          `${raw.slice(0, 40)} has upper case: write ${folded}, or "${raw.slice(0, 40)}" (quoted) for a mixed-case name`,
        );
      }
      if (!isPlainIdent(folded)) {
        throw new Error(
          raw === ''
            ? 'an empty name'
            : `"${raw.slice(0, 40)}" is not a plain identifier (quote it: "${raw.slice(0, 40).split('"').join('""')}")`,
        );
      }
      parts.push(folded);
    }
    skipSpaces();
    if (i >= n) break;
    if (text[i] !== '.') throw new Error(`unexpected ${JSON.stringify(text[i])} at offset ${i}`);
    i++;
    if (parts.length >= max) throw new Error(max === 1 ? 'a single name, found a dot' : 'more than schema.table');
  }
  for (const part of parts) {
    if (Buffer.byteLength(part) > MAX_IDENT_BYTES) throw new Error(`"${part.slice(0, 20)}…" is longer than 63 bytes`);
  }
  return parts;
}

/** Reads one column name: a plain identifier as written, or a quoted one. */
export function parseColumnName(text: string): string {
  return text.startsWith('"') ? readIdentifiers(text, 1)[0] : text;
}
