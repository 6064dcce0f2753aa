import { eventBody, type ChangeEvent } from '@distributary/core';
import type { PackedArgs } from './packed-args';

/**
 * An event's field `e` (eventBody: the JSON of the event without its position) written straight into
 * a packed call, byte for byte what JSON.stringify gives, without building the JSON text as a string
 * first. Plain objects (the event, its key and rows) are walked here; a string needing no escape is
 * copied between quotes, a finite number as its shortest text (JSON's own), and anything else — an
 * escaped string, an array, JsonText, a class instance, a deeper object — goes through JSON.stringify
 * itself. JSON.stringify on Node 20 builds its result in pieces and the writer then copies it again;
 * here the only allocations are those few fallbacks.
 */
export function packEventBody(args: PackedArgs, event: ChangeEvent): void {
  if (!isPlainObject(event) || prototypeHasEnumerables()) {
    args.string(eventBody(event));
    return;
  }
  const start = args.openString();
  writeObject(args, event as unknown as Record<string, unknown>, 'pos', 0);
  args.closeString(start);
}

/** Characters JSON.stringify escapes: the quote, backslash, controls and (lone) surrogates. */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;
const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
/** Objects deeper than this (inside a row value) go through JSON.stringify (which also refuses cycles). */
const MAX_DEPTH = 2;

/** `"name":` per property name (event fields and column names: few; bounded anyway). */
const heads = new Map<string, string>();
const MAX_HEADS = 10_000;

function head(name: string): string {
  let text = heads.get(name);
  if (text === undefined) {
    text = `${JSON.stringify(name)}:`;
    if (heads.size < MAX_HEADS) heads.set(name, text);
  }
  return text;
}

/** An object JSON.stringify serializes property by property: a plain object without toJSON. */
function isPlainObject(value: object): boolean {
  return (
    Object.getPrototypeOf(value) === Object.prototype && typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
}

/** for-in also walks inherited enumerable properties, JSON.stringify does not: only equal while there are none. */
function prototypeHasEnumerables(): boolean {
  for (const _name in Object.prototype) return true;
  return false;
}

function writeObject(args: PackedArgs, object: Record<string, unknown>, skip: string | undefined, depth: number): void {
  args.byte(OPEN);
  let first = true;
  for (const name in object) {
    if (name === skip) continue;
    const value = object[name];
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    // What JSON.stringify gives for anything not written here (undefined: the property is left out).
    const here = writtenHere(value, depth + 1);
    const text = here ? undefined : (JSON.stringify(value) as string | undefined);
    if (!here && text === undefined) continue;
    if (!first) args.byte(COMMA);
    first = false;
    args.utf8(head(name));
    if (text !== undefined) args.utf8(text);
    else writeValue(args, value, depth + 1);
  }
  args.byte(CLOSE);
}

/** Values writeValue writes itself (no JSON.stringify). */
function writtenHere(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return !ESCAPED.test(value);
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      return value === null || (depth <= MAX_DEPTH && isPlainObject(value));
    default:
      return false;
  }
}

/** A value writtenHere() accepted. */
function writeValue(args: PackedArgs, value: unknown, depth: number): void {
  if (typeof value === 'string') {
    args.byte(QUOTE);
    args.utf8(value);
    args.byte(QUOTE);
  } else if (typeof value === 'number') args.ascii(Number.isFinite(value) ? String(value) : 'null');
  else if (typeof value === 'boolean') args.ascii(value ? 'true' : 'false');
  else if (value === null) args.ascii('null');
  else writeObject(args, value as Record<string, unknown>, undefined, depth);
}
