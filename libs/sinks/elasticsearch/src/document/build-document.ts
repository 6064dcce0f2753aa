import { parsedForExpressions, type Row } from '@distributary/core';
import type { DocumentSpec, PlainField, Relation } from './document-spec';
import { tupleKey } from '../plan/row-match';
import { FALLBACK } from './fast-expression';

/**
 * Documents of sinks with joins may carry a hidden field (excluded from _source, indexed as keywords):
 * the root row's key and the keys of every joined row. It is how a child delete or re-parenting that
 * arrives without the old foreign key still finds the document that held the child. Only sinks with
 * such a relation carry it (spec.refs, relations-needing-refs.ts): it costs Elasticsearch about a
 * quarter of its indexing CPU per document (the _source filtering and the keywords).
 */
export const REFS_FIELD = '_distributary_refs';
export const ROOT_KEY_REF = 'key';

export type Document = Record<string, unknown>;

/** A row's reference as stored in REFS_FIELD: table plus its key values compared as text. */
export function refKey(table: string, row: Row, keyColumns: readonly string[]): string | undefined {
  const key = tupleKey(row, keyColumns);
  return key === undefined ? undefined : `${table}:${key}`;
}

/** Related rows of one relation, grouped by the tuple of its join columns. */
export type RelatedRows = Map<string, Map<string, Row[]>>;

export interface KeyColumns {
  primaryKey(table: string): readonly string[];
}

/** A field's value: synchronous for columns and fast expressions, a promise only when JSONata runs. */
function plainValue(field: PlainField, row: Row): unknown {
  if (field.kind === 'column') return row[field.column];
  if (field.fast) {
    const value = field.fast.evaluate(row[field.fast.column]);
    if (value !== FALLBACK) return value;
  }
  return field.expression.evaluate(parsedForExpressions(row)).catch((error: Error) => {
    throw new Error(`JSONata "${field.source}" for field ${field.name} failed: ${error.message}`);
  });
}

/**
 * Sets every field of `fields` on `out`: synchronously when no JSONata runs (no promise, no
 * microtask per document), else a promise that settles once the JSONata ones did.
 */
function setFields(out: Document, fields: readonly PlainField[], row: Row): Document | Promise<Document> {
  let pending: Promise<void>[] | undefined;
  for (const field of fields) {
    const value = plainValue(field, row);
    if (value instanceof Promise) {
      out[field.name] = undefined; // keeps the configured field order
      (pending ??= []).push(
        value.then((v: unknown) => {
          if (v === undefined) delete out[field.name];
          else out[field.name] = v;
        }),
      );
    } else if (value !== undefined) out[field.name] = value;
  }
  return pending ? Promise.all(pending).then(() => out) : out;
}

function projectRow(fields: PlainField[] | undefined, row: Row): Document | Promise<Document> {
  if (!fields) return { ...row };
  return setFields({}, fields, row);
}

export function relatedFor(relation: Relation, root: Row, related: RelatedRows): Row[] {
  const key = tupleKey(root, relation.rootColumns);
  if (key === undefined) return [];
  return related.get(relation.name)?.get(key) ?? [];
}

export async function buildDocument(
  spec: DocumentSpec,
  root: Row,
  related: RelatedRows,
  keys: KeyColumns,
): Promise<Document> {
  return buildDocumentNow(spec, root, related, keys);
}

/**
 * buildDocument, synchronous unless a JSONata expression runs (then a promise): the hot path of a
 * batch builds thousands of documents of columns and fast expressions without a promise each. The
 * steps, their order (root fields, then each relation in configured order) and the document's field
 * order are buildDocument's.
 */
export function buildDocumentNow(
  spec: DocumentSpec,
  root: Row,
  related: RelatedRows,
  keys: KeyColumns,
): Document | Promise<Document> {
  if (!spec.entries) return { ...root };
  const doc: Document = {};
  const refs: Record<string, string | string[]> = {};
  if (spec.refs) refs[ROOT_KEY_REF] = refKey(spec.root, root, keys.primaryKey(spec.root)) ?? '';
  const plain = setFields(doc, spec.plain, root);
  const built = { spec, root, related, keys, doc, refs };
  return plain instanceof Promise ? plain.then(() => addRelations(built, 0)) : addRelations(built, 0);
}

interface Building {
  spec: DocumentSpec;
  root: Row;
  related: RelatedRows;
  keys: KeyColumns;
  doc: Document;
  refs: Record<string, string | string[]>;
}

/** Sets the relations from entry `from` on: returns the document, or a promise at the first JSONata. */
function addRelations(b: Building, from: number): Document | Promise<Document> {
  const { spec, doc, refs, keys } = b;
  const entries = spec.entries ?? [];
  for (let i = from; i < entries.length; i++) {
    const entry = entries[i];
    if (entry.kind !== 'relation') continue;
    const relation = entry.relation;
    const rows = relatedFor(relation, b.root, b.related);
    if (spec.refs) {
      refs[relation.name] = rows
        .map((r) => refKey(relation.table, r, keys.primaryKey(relation.table)))
        .filter((k): k is string => k !== undefined);
    }
    if (relation.kind === 'lookup') {
      const value = rows.length > 0 ? projectRow(relation.fields, rows[0]) : null;
      if (value instanceof Promise) {
        return value.then((v) => {
          doc[relation.name] = v;
          return addRelations(b, i + 1);
        });
      }
      doc[relation.name] = value;
    } else {
      const items = rows.map((r) => projectRow(relation.fields, r));
      if (items.some((item) => item instanceof Promise)) {
        return Promise.all(items).then((all) => {
          doc[relation.name] = all;
          return addRelations(b, i + 1);
        });
      }
      doc[relation.name] = items;
    }
  }
  if (spec.refs) doc[REFS_FIELD] = refs;
  return doc;
}
