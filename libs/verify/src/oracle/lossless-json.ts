import { isJsonText } from '@distributary/core';

/** A JSON number kept as the text it was written with. */
export class LosslessNumber {
  constructor(readonly text: string) {}

  toJSON(): number {
    return Number(this.text);
  }
}

export type LosslessValue =
  null | boolean | string | LosslessNumber | LosslessValue[] | { [key: string]: LosslessValue };

export class LosslessJsonError extends Error {}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER_CHARS = new Set(['-', '+', '.', 'e', 'E', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/**
 * JSON parsed without losing a number: every number is kept as the text it was written with
 * (12345678901234567890, 1.000000000000000000001, -0, 1e-400 stay what they are), so a value that a
 * store holds exactly can be compared exactly. One pass over the text, no backtracking.
 */
export function parseLosslessJson(text: string): LosslessValue {
  const parser = new Parser(text);
  const value = parser.value();
  parser.skipWhitespace();
  if (!parser.atEnd()) throw parser.error('unexpected text after the JSON value');
  return value;
}

class Parser {
  private at = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  error(message: string): LosslessJsonError {
    return new LosslessJsonError(`${message} at offset ${this.at}`);
  }

  skipWhitespace(): void {
    while (this.at < this.text.length && WHITESPACE.has(this.text[this.at])) this.at++;
  }

  value(): LosslessValue {
    this.skipWhitespace();
    const c = this.text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (this.text.startsWith('true', this.at)) return this.literal('true', true);
    if (this.text.startsWith('false', this.at)) return this.literal('false', false);
    if (this.text.startsWith('null', this.at)) return this.literal('null', null);
    if (c !== undefined && NUMBER_CHARS.has(c)) return this.number();
    throw this.error('unexpected character');
  }

  private literal<T>(word: string, value: T): T {
    this.at += word.length;
    return value;
  }

  private number(): LosslessNumber {
    const start = this.at;
    while (this.at < this.text.length && NUMBER_CHARS.has(this.text[this.at])) this.at++;
    const raw = this.text.slice(start, this.at);
    // Validates the grammar (JSON.parse of a bare number is linear and exact about what it accepts).
    if (Number.isNaN(JSON.parse(raw) as number)) throw this.error('invalid number');
    return new LosslessNumber(raw);
  }

  private string(): string {
    const start = this.at;
    this.at++;
    while (this.at < this.text.length) {
      const c = this.text[this.at];
      if (c === '\\') this.at += 2;
      else if (c === '"') {
        this.at++;
        return JSON.parse(this.text.slice(start, this.at)) as string;
      } else this.at++;
    }
    throw this.error('unterminated string');
  }

  private array(): LosslessValue[] {
    this.at++;
    const items: LosslessValue[] = [];
    this.skipWhitespace();
    if (this.text[this.at] === ']') {
      this.at++;
      return items;
    }
    for (;;) {
      items.push(this.value());
      this.skipWhitespace();
      const c = this.text[this.at++];
      if (c === ']') return items;
      if (c !== ',') throw this.error('expected , or ]');
    }
  }

  private object(): { [key: string]: LosslessValue } {
    this.at++;
    const out: { [key: string]: LosslessValue } = {};
    this.skipWhitespace();
    if (this.text[this.at] === '}') {
      this.at++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.at] !== '"') throw this.error('expected a key');
      const key = this.string();
      this.skipWhitespace();
      if (this.text[this.at++] !== ':') throw this.error('expected :');
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const c = this.text[this.at++];
      if (c === '}') return out;
      if (c !== ',') throw this.error('expected , or }');
    }
  }
}

/**
 * A value for reports (CLI, API, stored results): numbers that a double holds exactly become numbers,
 * others stay their exact text (a string), and json/jsonb text is parsed the same way.
 */
export function displayable(value: unknown): unknown {
  if (value instanceof LosslessNumber) {
    const number = Number(value.text);
    return String(number) === value.text ? number : value.text;
  }
  if (isJsonText(value)) return displayable(parseLosslessJson(value.text));
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(displayable);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, displayable(v)]));
}
