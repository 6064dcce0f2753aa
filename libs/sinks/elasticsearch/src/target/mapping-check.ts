import { mappingAdvice } from '../write/explain-rejection';
import type { DocumentSpec, PlainField } from '../document/document-spec';
import { fieldAccepts, type FieldMapping } from './field-accepts';
import { probesFor, type FieldCast } from './value-probes';

/**
 * The check at open(): a document field with an EXPLICIT mapping must hold every legal value of the
 * column it is copied from (or cast with `$number`), per the type contract. Fields without a mapping
 * are typed by Elasticsearch's dynamic mapping from the first value and are not judged here (a later
 * value it cannot hold is explained in the dead letter, bulk/explain-rejection.ts); neither are
 * fields computed by other expressions. Pure: the column types come from the source catalog.
 */
export interface ColumnType {
  /** The type as PostgreSQL names it (format_type), for the message. */
  sqlType: string;
  /** The pg_catalog base type (domains and arrays followed), or 'other'. */
  baseType: string;
}

/** A table's columns, or undefined when the table is unknown. */
export type ColumnTypes = (table: string) => ReadonlyMap<string, ColumnType> | undefined;

export interface MappedField {
  /** The field's path in the document (a relation's fields under its name). */
  field: string;
  table: string;
  column: string;
  cast: FieldCast;
  type: ColumnType;
}

export interface MappingConflict {
  field: string;
  table: string;
  column: string;
  sqlType: string;
  cast: FieldCast;
  esType: string;
  /** A legal value of the column the field's mapping would refuse, as the document carries it. */
  example: string;
  /** Whether the document carries it as a JSON string. */
  isString: boolean;
  advice: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

function fieldsOf(
  table: string,
  prefix: string,
  plain: PlainField[] | undefined,
  columns: ReadonlyMap<string, ColumnType>,
): MappedField[] {
  const out: MappedField[] = [];
  const add = (field: string, column: string, cast: FieldCast): void => {
    const type = columns.get(column);
    if (type) out.push({ field: `${prefix}${field}`, table, column, cast, type });
  };
  if (plain === undefined) for (const column of columns.keys()) add(column, column, 'copy');
  for (const f of plain ?? []) {
    if (f.kind === 'column') add(f.name, f.column, 'copy');
    else if (f.fast && f.fast.cast !== 'string') add(f.name, f.fast.column, f.fast.cast);
  }
  return out;
}

/** The document fields whose value is a column's, copied or through `$number(col)`. */
export function mappedFields(spec: DocumentSpec, columnTypes: ColumnTypes): MappedField[] {
  const root = columnTypes(spec.root);
  const out = root ? fieldsOf(spec.root, '', spec.entries === undefined ? undefined : spec.plain, root) : [];
  for (const relation of spec.relations) {
    const related = columnTypes(relation.table);
    if (related) out.push(...fieldsOf(relation.table, `${relation.name}.`, relation.fields, related));
  }
  return out;
}

function truthy(value: unknown): boolean {
  return value === true || value === 'true';
}

/** `index.mapping.ignore_malformed` in the sink's index settings, flat or nested. */
export function indexIgnoresMalformed(settings: Json | undefined): boolean {
  if (!settings) return false;
  const index = isObject(settings.index) ? settings.index : {};
  const nested = isObject(index.mapping) ? index.mapping : isObject(settings.mapping) ? settings.mapping : {};
  return (
    truthy(settings['index.mapping.ignore_malformed']) ||
    truthy(settings['mapping.ignore_malformed']) ||
    truthy(index['mapping.ignore_malformed']) ||
    truthy(nested.ignore_malformed)
  );
}

/** The explicit mapping of a dotted field path, or undefined when dynamic mapping decides it. */
export function explicitMapping(
  mappings: Json | undefined,
  path: string,
  ignoreMalformed: boolean,
): FieldMapping | undefined {
  let node: unknown = mappings;
  for (const part of path.split('.')) {
    const properties = isObject(node) ? node.properties : undefined;
    node = isObject(properties) ? properties[part] : undefined;
    if (!isObject(node)) return undefined;
  }
  const field = node as Json;
  const type =
    typeof field.type === 'string'
      ? field.type
      : isObject(field.properties) || 'enabled' in field
        ? 'object'
        : undefined;
  if (type === undefined) return undefined;
  return {
    type,
    coerce: typeof field.coerce === 'boolean' ? field.coerce : undefined,
    ignoreMalformed: field.ignore_malformed === undefined ? ignoreMalformed : truthy(field.ignore_malformed),
    enabled: typeof field.enabled === 'boolean' ? field.enabled : undefined,
  };
}

/** Every field whose explicit mapping would refuse a legal value of its column, with that value. */
export function mappingConflicts(
  fields: MappedField[],
  mappings: Json | undefined,
  settings?: Json,
): MappingConflict[] {
  const ignoreMalformed = indexIgnoresMalformed(settings);
  const conflicts: MappingConflict[] = [];
  for (const f of fields) {
    const mapping = explicitMapping(mappings, f.field, ignoreMalformed);
    if (!mapping) continue;
    const refused = probesFor(f.type.baseType, f.cast, f.type.sqlType).find((probe) => !fieldAccepts(mapping, probe));
    if (!refused) continue;
    const json = refused.shape === 'json';
    conflicts.push({
      field: f.field,
      table: f.table,
      column: f.column,
      sqlType: f.type.sqlType,
      cast: f.cast,
      esType: mapping.type,
      example: refused.shown,
      isString: refused.shape !== 'number' && refused.shape !== 'bool' && !json,
      advice: mappingAdvice(mapping.type, json),
    });
  }
  return conflicts;
}

/** Top-level document fields without a mapping under `dynamic: strict`: Elasticsearch refuses every document. */
export function unmappedUnderStrict(
  spec: DocumentSpec,
  columnTypes: ColumnTypes,
  mappings: Json | undefined,
): string[] {
  if (!isObject(mappings) || String(mappings.dynamic) !== 'strict') return [];
  const properties = isObject(mappings.properties) ? mappings.properties : {};
  const names =
    spec.entries === undefined ? [...(columnTypes(spec.root)?.keys() ?? [])] : spec.entries.map((e) => e.name);
  return names.filter((name) => !Object.hasOwn(properties, name));
}

/** One line per conflict: the field, the column and its type, the refused value, what would hold it. */
export function describeConflicts(sink: string, conflicts: MappingConflict[], unmapped: string[] = []): string {
  const strict = unmapped.map(
    (field) =>
      `  - field "${field}" has no mapping and mappings.dynamic is strict, so Elasticsearch refuses every document: ` +
      `map it, or set dynamic: false (unmapped fields are then kept in _source, not indexed).`,
  );
  const lines = conflicts.map((c) => {
    const source = c.cast === 'number' ? `$number(${c.column}) of ${c.table}` : `column ${c.column} of ${c.table}`;
    return (
      `  - field "${c.field}" is mapped as [${c.esType}], but ${source} (${c.sqlType}) can hold ${c.isString ? `'${c.example}'` : c.example}, ` +
      `which that mapping refuses. This field can be sent ${c.advice}.`
    );
  });
  return (
    `sink ${sink}: the Elasticsearch mapping cannot hold every legal value of its source columns ` +
    `(values are written exactly, docs/types.md), so the sink refuses to open rather than dead-letter rows later:\n` +
    [...strict, ...lines].join('\n')
  );
}
