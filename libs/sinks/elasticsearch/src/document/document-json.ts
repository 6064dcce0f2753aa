import { exactJson, isJsonText, type Row } from '@distributary/core';
import { REFS_FIELD, ROOT_KEY_REF, refKey, relatedFor, type KeyColumns, type RelatedRows } from './build-document';
import type { DocumentSpec, PlainField, Relation } from './document-spec';
import { FALLBACK } from './fast-expression';

/**
 * A document's JSON text written straight from the rows: `serializeDocument(buildDocumentNow(...))`
 * without building the document, its refs and their copies as objects first (the hot path of a batch
 * writes thousands). Compiled once per spec (compileDocumentJson) when the spec is a plain projection:
 * columns and fast expressions (fast-expression.ts), lookups and children of those, no JSONata.
 *
 * EXACT, or not at all. The text is the very text exactJson gives for the document buildDocumentNow
 * builds: the same keys in the same order (the order is found at compile time by making the same
 * assignments on an object, so integer-like names are ordered as an object orders them), the same
 * values, each written by JSON.stringify or, for json/jsonb values and arrays of plain values, by
 * exactJson itself. Whenever that is not certain, the writer answers undefined and the caller builds
 * the document as before: a value that is not a string, number, boolean, null, JsonText or an array
 * of those (objects, bigints, functions), a fast expression that would run JSONata, and at compile
 * time any JSONata field or a name that collides (a field named like the refs field or `__proto__`).
 * The tests compare the two paths on the same rows.
 */
export type DocumentJson = (root: Row, related: RelatedRows, keys: KeyColumns) => string | undefined;

/** What a writer part answers: JSON text, OMIT (an undefined value: the key is left out) or undefined. */
const OMIT = '';

function plainArray(value: unknown[]): boolean {
  for (const item of value) {
    if (item === null || typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') continue;
    if (isJsonText(item) || (Array.isArray(item) && plainArray(item))) continue;
    return false;
  }
  return true;
}

/** What JSON.stringify escapes in a string: `"`, `\`, control characters and (lone) surrogates. */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(text), without its copy of the string when nothing needs escaping (a single
 *  character class: linear in the text). Surrogate pairs, never escaped, still go to JSON.stringify. */
export function quoteJson(text: string): string {
  return ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** One value as it appears in the document's JSON (OMIT for undefined; undefined when not certain). */
function valueJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return quoteJson(value);
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return JSON.stringify(value);
    case 'undefined':
      return OMIT;
    case 'object':
      if (value === null) return 'null';
      if (isJsonText(value) || (Array.isArray(value) && plainArray(value))) return exactJson(value);
      return undefined;
    default:
      return undefined;
  }
}

/** The order an object gives keys assigned in `names`' order; undefined when a name repeats or is special. */
function keyOrder(names: readonly string[]): string[] | undefined {
  if (new Set(names).size !== names.length || names.includes('__proto__')) return undefined;
  const probe: Record<string, true> = {};
  for (const name of names) probe[name] = true;
  const order = Object.keys(probe);
  return order.length === names.length ? order : undefined;
}

function fieldPart(field: PlainField): ((row: Row) => string | undefined) | undefined {
  if (field.kind === 'column') {
    const column = field.column;
    return (row) => valueJson(row[column]);
  }
  const fast = field.fast;
  if (!fast) return undefined; // JSONata
  const { column, evaluate } = fast;
  return (row) => {
    const value = evaluate(row[column]);
    return value === FALLBACK ? undefined : valueJson(value);
  };
}

/** `{"a":…,"b":…}` from named parts in `order` (OMIT leaves a key out, undefined gives up). */
function objectWriter<A extends unknown[]>(
  named: Map<string, (...args: A) => string | undefined>,
  order: readonly string[],
): (...args: A) => string | undefined {
  const parts = order.map((name) => {
    const prefix = `${JSON.stringify(name)}:`;
    return { prefix, comma: `,${prefix}`, write: named.get(name)! };
  });
  return (...args: A) => {
    const out = ['{'];
    for (const part of parts) {
      const text = part.write(...args);
      if (text === undefined) return undefined;
      if (text === OMIT) continue;
      out.push(out.length === 1 ? part.prefix : part.comma, text);
    }
    out.push('}');
    // joined into a flat string at once: a string built by += is a rope, which measuring it
    // (Buffer.byteLength) flattens, a copy before the bulk body's own
    return out.join('');
  };
}

/** A related row projected as buildDocument does (its configured fields, or every column). */
function rowWriter(fields: PlainField[] | undefined): ((row: Row) => string | undefined) | undefined {
  if (!fields) {
    return (row) => {
      for (const column in row) if (valueJson(row[column]) === undefined) return undefined;
      return exactJson({ ...row });
    };
  }
  const named = new Map<string, (row: Row) => string | undefined>();
  for (const field of fields) {
    const part = fieldPart(field);
    if (!part) return undefined;
    named.set(field.name, part);
  }
  const order = keyOrder(fields.map((f) => f.name));
  return order && objectWriter(named, order);
}

/** Memoized per related-rows array (lookup arrays are shared by the cache and never changed). */
function perRows(write: (rows: Row[]) => string | undefined): (rows: Row[]) => string | undefined {
  const memo = new WeakMap<Row[], string | typeof FALLBACK>();
  return (rows) => {
    const known = memo.get(rows);
    if (known !== undefined) return known === FALLBACK ? undefined : known;
    const text = write(rows);
    memo.set(rows, text ?? FALLBACK);
    return text;
  };
}

function relationParts(
  relation: Relation,
): { value: (rows: Row[]) => string | undefined; refs: (rows: Row[], keys: KeyColumns) => string } | undefined {
  const row = rowWriter(relation.fields);
  if (!row) return undefined;
  const value =
    relation.kind === 'lookup'
      ? perRows((rows) => (rows.length > 0 ? row(rows[0]) : 'null'))
      : (rows: Row[]): string | undefined => {
          let out = '[';
          for (let i = 0; i < rows.length; i++) {
            const item = row(rows[i]);
            if (item === undefined) return undefined;
            out += i === 0 ? item : `,${item}`;
          }
          return `${out}]`;
        };
  const refsMemo = new WeakMap<Row[], string>();
  const refs = (rows: Row[], keys: KeyColumns): string => {
    let text = refsMemo.get(rows);
    if (text === undefined) {
      const key = keys.primaryKey(relation.table);
      text = JSON.stringify(
        rows.map((r) => refKey(relation.table, r, key)).filter((k): k is string => k !== undefined),
      );
      refsMemo.set(rows, text);
    }
    return text;
  };
  return { value, refs };
}

/** One key of the document, in order: a root field, a relation's value, or the refs object. */
type Slot =
  | { prefix: string; comma: string; kind: 'field'; write: (root: Row) => string | undefined }
  | { prefix: string; comma: string; kind: 'relation'; at: number }
  | { prefix: string; comma: string; kind: 'refs' };

/** One key of the refs object, in order: the root key, or a relation's refs. */
type RefSlot = { prefix: string; comma: string; at: number }; // at: the relation, -1 for the root key

function keyParts(name: string): { prefix: string; comma: string } {
  const prefix = `${JSON.stringify(name)}:`;
  return { prefix, comma: `,${prefix}` };
}

/** The spec's writer, or undefined when its documents are not a plain projection (see DocumentJson). */
export function compileDocumentJson(spec: Omit<DocumentSpec, 'json'>): DocumentJson | undefined {
  const entries = spec.entries;
  if (!entries || spec.relations.length === 0) return undefined; // plain sinks are written by direct-plan
  const fields = new Map<string, (root: Row) => string | undefined>();
  for (const field of spec.plain) {
    const part = fieldPart(field);
    if (!part) return undefined;
    fields.set(field.name, part);
  }
  const relations = spec.relations;
  const parts: NonNullable<ReturnType<typeof relationParts>>[] = [];
  for (const relation of relations) {
    const part = relationParts(relation);
    if (!part) return undefined;
    parts.push(part);
  }
  // buildDocumentNow's assignments: the plain fields, then the relations, then the refs (theirs: the
  // root key, then each relation)
  const refsOrder = keyOrder([ROOT_KEY_REF, ...relations.map((r) => r.name)]);
  const relationNames = entries.filter((e) => e.kind === 'relation').map((e) => e.name);
  if (entries.some((e) => e.name === REFS_FIELD)) return undefined; // a field named like the refs field
  const order = keyOrder([...spec.plain.map((f) => f.name), ...relationNames, ...(spec.refs ? [REFS_FIELD] : [])]);
  if (!order || !refsOrder) return undefined;
  const relationAt = new Map(relations.map((r, i) => [r.name, i]));
  const slots: Slot[] = order.map((name) => {
    const at = relationAt.get(name);
    if (name === REFS_FIELD) return { ...keyParts(name), kind: 'refs' };
    if (at !== undefined) return { ...keyParts(name), kind: 'relation', at };
    return { ...keyParts(name), kind: 'field', write: fields.get(name)! };
  });
  const refSlots: RefSlot[] = refsOrder.map((name) => ({
    ...keyParts(name),
    at: name === ROOT_KEY_REF ? -1 : relationAt.get(name)!,
  }));
  // each relation's rows of the document being written: found once per document (its value and its
  // refs need the same rows), kept in one array for the writer's lifetime (filled and read within
  // one synchronous call: no user code runs in between)
  const rows: Row[][] = new Array<Row[]>(relations.length);
  return (root, related, keys) => {
    for (let i = 0; i < relations.length; i++) rows[i] = relatedFor(relations[i], root, related);
    // the document's parts, joined into a flat string at once: a string built by += is a rope, which
    // measuring it (Buffer.byteLength) flattens, a copy before the bulk body's own
    const out = ['{'];
    for (const slot of slots) {
      const key = out.length === 1 ? slot.prefix : slot.comma;
      if (slot.kind === 'field') {
        const text = slot.write(root);
        if (text === undefined) return undefined;
        if (text !== OMIT) out.push(key, text);
      } else if (slot.kind === 'relation') {
        const text = parts[slot.at].value(rows[slot.at]);
        if (text === undefined) return undefined;
        out.push(key, text);
      } else {
        // the refs object, written into the same parts (never left out: it has the root key)
        out.push(key, '{');
        for (let i = 0; i < refSlots.length; i++) {
          const ref = refSlots[i];
          out.push(
            i === 0 ? ref.prefix : ref.comma,
            ref.at < 0
              ? JSON.stringify(refKey(spec.root, root, keys.primaryKey(spec.root)) ?? '')
              : parts[ref.at].refs(rows[ref.at], keys),
          );
        }
        out.push('}');
      }
    }
    out.push('}');
    return out.join('');
  };
}

/** A document's JSON text written by a DocumentJson: serializeDocument sends it as it is. */
export class DocumentText {
  constructor(readonly text: string) {}
}
