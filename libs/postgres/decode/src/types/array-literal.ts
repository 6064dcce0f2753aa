export type ArrayElements = (string | null | ArrayElements)[];

/**
 * Parses a PostgreSQL array literal in text output form ('{1,2,NULL,"a \"b\""}', nested
 * '{{1,2},{3,4}}', with an optional '[0:1]=' bounds prefix) into nested arrays of element texts.
 * Unquoted NULL is SQL NULL; a quoted "NULL" is the string NULL.
 */
export function parseArrayLiteral(text: string, delimiter = ','): ArrayElements {
  let position = 0;
  if (text.startsWith('[')) {
    const equals = text.indexOf('=');
    if (equals < 0) throw new Error(`not an array literal: ${text}`);
    position = equals + 1;
  }

  function parseArray(): ArrayElements {
    if (text[position] !== '{') throw new Error(`array literal: expected '{' at ${position} in ${text}`);
    position++;
    const items: ArrayElements = [];
    if (text[position] === '}') {
      position++;
      return items;
    }
    for (;;) {
      skipSpaces();
      const char = text[position];
      if (char === '{') items.push(parseArray());
      else if (char === '"') items.push(parseQuoted());
      else items.push(parseUnquoted());
      skipSpaces();
      const next = text[position++];
      if (next === '}') return items;
      if (next !== delimiter) throw new Error(`array literal: unexpected '${next}' at ${position - 1} in ${text}`);
    }
  }

  function parseQuoted(): string {
    position++; // opening quote
    let value = '';
    for (;;) {
      const char = text[position++];
      if (char === undefined) throw new Error(`array literal: unterminated quote in ${text}`);
      if (char === '\\') value += text[position++];
      else if (char === '"') return value;
      else value += char;
    }
  }

  function parseUnquoted(): string | null {
    let value = '';
    while (position < text.length) {
      const char = text[position];
      if (char === delimiter || char === '}') break;
      if (char === '\\') {
        value += text[position + 1];
        position += 2;
        continue;
      }
      value += char;
      position++;
    }
    const trimmed = value.trim();
    return trimmed.toUpperCase() === 'NULL' ? null : trimmed;
  }

  function skipSpaces(): void {
    while (text[position] === ' ') position++;
  }

  const result = parseArray();
  if (position !== text.length) throw new Error(`array literal: trailing text at ${position} in ${text}`);
  return result;
}
