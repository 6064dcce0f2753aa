import jsonata from 'jsonata';
import type { ElasticsearchSinkConfig, EsPlainFieldConfig } from '@distributary/config';
import { fastExpression, type FastCast, type FastExpression } from './fast-expression';
import { compileIdTemplate, type IdTemplate } from './id-template';
import { compileDocumentJson, type DocumentJson } from './document-json';

/** The sink's document configuration, compiled once at construction: JSONata parsed, joins resolved. */
export type PlainField =
  | { name: string; kind: 'column'; column: string }
  | {
      name: string;
      kind: 'expr';
      source: string;
      expression: jsonata.Expression;
      /** Set for a column reference or simple cast: evaluated without JSONata when it can be. */
      fast?: { column: string; cast: FastCast; evaluate: FastExpression };
    };

export interface Relation {
  name: string;
  kind: 'lookup' | 'children';
  table: string;
  /** Column pairs: the related table's column equals the root table's column. */
  relatedColumns: string[];
  rootColumns: string[];
  /** undefined = every column of the related row. */
  fields: PlainField[] | undefined;
  orderBy: { column: string; direction: 'ASC' | 'DESC' }[];
}

export type DocumentEntry = PlainField | { name: string; kind: 'relation'; relation: Relation };

export interface DocumentSpec {
  root: string;
  id: IdTemplate;
  /** undefined = every column of the root row. */
  entries: DocumentEntry[] | undefined;
  /** The entries that are not relations (columns and expressions of the root row). */
  plain: PlainField[];
  relations: Relation[];
  tables: string[];
  /**
   * Whether documents carry the hidden refs field (REFS_FIELD, build-document.ts): only when a relation
   * may need it to find the documents that held a related row (relations-needing-refs.ts), decided at
   * open from the source's keys. Compiled as true (the safe default until the keys are known).
   */
  refs: boolean;
  /** The documents' JSON written straight from the rows, when they are a plain projection (document-json.ts). */
  json?: DocumentJson;
}

function compilePlain(name: string, field: EsPlainFieldConfig, path = name): PlainField {
  if (typeof field === 'string') return { name, kind: 'column', column: field };
  try {
    const expression = jsonata(field.expr);
    return { name, kind: 'expr', source: field.expr, expression, fast: fastExpression(field.expr) };
  } catch (error) {
    throw new Error(`document.${path}: invalid JSONata "${field.expr}": ${(error as Error).message}`);
  }
}

function compileRelatedFields(
  relation: string,
  fields: string[] | Record<string, EsPlainFieldConfig> | undefined,
): PlainField[] | undefined {
  if (fields === undefined) return undefined;
  if (Array.isArray(fields)) return fields.map((c) => ({ name: c, kind: 'column', column: c }));
  return Object.entries(fields).map(([name, f]) => compilePlain(name, f, `${relation}.fields.${name}`));
}

function parseOrder(order: string | string[] | undefined): Relation['orderBy'] {
  const list = order === undefined ? [] : Array.isArray(order) ? order : [order];
  return list.map((o) => {
    const [column, direction] = o.trim().split(/\s+/);
    return { column, direction: direction?.toUpperCase() === 'DESC' ? 'DESC' : 'ASC' };
  });
}

export function compileDocumentSpec(config: ElasticsearchSinkConfig): DocumentSpec {
  const relations: Relation[] = [];
  let entries: DocumentEntry[] | undefined;
  if (config.document) {
    entries = Object.entries(config.document).map(([name, field]): DocumentEntry => {
      if (typeof field === 'string' || 'expr' in field) return compilePlain(name, field);
      const relation: Relation = {
        name,
        kind: 'from' in field ? 'lookup' : 'children',
        table: 'from' in field ? field.from : field.children,
        relatedColumns: Object.keys(field.on),
        rootColumns: Object.values(field.on),
        fields: compileRelatedFields(name, field.fields),
        orderBy: 'children' in field ? parseOrder(field.orderBy) : [],
      };
      relations.push(relation);
      return { name, kind: 'relation', relation };
    });
  }
  const tables = [config.from, ...relations.map((r) => r.table)].filter((t, i, all) => all.indexOf(t) === i);
  const plain = (entries ?? []).filter((e): e is PlainField => e.kind !== 'relation');
  const refs = relations.length > 0;
  const spec = { root: config.from, id: compileIdTemplate(config.id), entries, plain, relations, tables, refs };
  return { ...spec, json: compileDocumentJson(spec) };
}

/** The spec whose documents carry the refs field or not (its JSON writer compiled again to match). */
export function withRefs(spec: DocumentSpec, refs: boolean): DocumentSpec {
  const { json: _json, ...rest } = spec;
  const next = { ...rest, refs: refs && spec.relations.length > 0 };
  return { ...next, json: compileDocumentJson(next) };
}

/** Every column the spec reads from `table`, to validate against the source catalog at open(). */
export function columnsUsed(spec: DocumentSpec): Map<string, Set<string>> {
  const used = new Map<string, Set<string>>();
  const add = (table: string, column: string): void => {
    if (!used.has(table)) used.set(table, new Set());
    used.get(table)?.add(column);
  };
  for (const c of spec.id.columns) add(spec.root, c);
  for (const entry of spec.entries ?? []) {
    if (entry.kind === 'column') add(spec.root, entry.column);
    if (entry.kind !== 'relation') continue;
    const r = entry.relation;
    r.rootColumns.forEach((c) => add(spec.root, c));
    r.relatedColumns.forEach((c) => add(r.table, c));
    r.orderBy.forEach((o) => add(r.table, o.column));
    for (const f of r.fields ?? []) if (f.kind === 'column') add(r.table, f.column);
  }
  return used;
}
