export type KeyTemplatePart = { literal: string } | { column: string };

function isIdentStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
}

function isIdentChar(code: number): boolean {
  return isIdentStart(code) || (code >= 48 && code <= 57) || code === 36;
}

/** Reads the placeholder starting after the `{` at `open`; returns the column and the index of `}`. */
function placeholder(template: string, open: number): { column: string; close: number } {
  let i = open + 1;
  if (template[i] === '"') {
    let column = '';
    for (i++; i < template.length; i++) {
      if (template[i] === '"') {
        if (template[i + 1] === '"') {
          column += '"';
          i++;
        } else break;
      } else column += template[i];
    }
    if (i >= template.length) throw new Error(`unclosed quoted column name at offset ${open + 1}`);
    if (column === '') throw new Error(`empty quoted column name at offset ${open + 1}`);
    if (template[i + 1] !== '}') throw new Error(`expected "}" after the quoted column name at offset ${i + 1}`);
    return { column, close: i + 1 };
  }
  const start = i;
  if (i < template.length && isIdentStart(template.charCodeAt(i))) {
    for (i++; i < template.length && isIdentChar(template.charCodeAt(i)); i++);
  }
  if (template[i] === '}' && i > start) return { column: template.slice(start, i), close: i };
  const end = template.indexOf('}', start);
  if (end < 0) throw new Error(`unclosed "{" at offset ${open} (write "{{" for a literal brace)`);
  const shown = template.slice(start, Math.min(end, start + 40));
  throw new Error(`"{${shown}}" is not a column name (quote other names: {"Odd name"})`);
}

/**
 * Key and id templates (Redis cache keys, query-cache groups and members, Elasticsearch document
 * ids): literal text with `{column}` placeholders filled from the row (`product:{id}`,
 * `tenant:{tenant_id}:user:{id}`). `{{` and `}}` write a literal brace, so a Redis Cluster hash tag
 * is spelled `{{{tenant_id}}}:user:{id}` (renders `{7}:user:42`). A column whose name is not a plain
 * identifier is written quoted, as in SQL: `{"Order Id"}`, `{"say ""hi"""}`. One parser, one set of
 * rules for every template; a single forward scan.
 */
export function parseKeyTemplate(template: string): KeyTemplatePart[] {
  const parts: KeyTemplatePart[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if (char === '{' && template[i + 1] === '{') {
      literal += '{';
      i++;
    } else if (char === '}' && template[i + 1] === '}') {
      literal += '}';
      i++;
    } else if (char === '{') {
      const { column, close } = placeholder(template, i);
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ column });
      i = close;
    } else if (char === '}') {
      throw new Error(`unmatched "}" at offset ${i} (write "}}" for a literal brace)`);
    } else {
      literal += char;
    }
  }
  if (literal) parts.push({ literal });
  if (!parts.some((part) => 'column' in part)) throw new Error('needs at least one {column} placeholder');
  return parts;
}

export function templateColumns(template: string): string[] {
  return parseKeyTemplate(template).flatMap((part) => ('column' in part ? [part.column] : []));
}

/** The literal text before the first placeholder: the key space a template writes into. */
export function templatePrefix(template: string): string {
  const first = parseKeyTemplate(template)[0];
  return 'literal' in first ? first.literal : '';
}
