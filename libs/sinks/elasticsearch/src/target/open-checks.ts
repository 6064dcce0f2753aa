import { SourceShapeError, type SourceRows } from '@distributary/core';
import { columnsUsed, type DocumentSpec } from '../document/document-spec';
import {
  describeConflicts,
  mappedFields,
  mappingConflicts,
  type ColumnType,
  type MappingConflict,
  unmappedUnderStrict,
} from './mapping-check';

/** An explicit Elasticsearch mapping that would refuse a legal source value: the sink does not open. */
export class MappingRefusedError extends SourceShapeError {
  constructor(
    message: string,
    readonly conflicts: MappingConflict[],
  ) {
    super(message);
  }
}

/** Refuse to start when the document config names a table or column the source does not have. */
export async function checkSourceShape(sinkName: string, spec: DocumentSpec, source: SourceRows): Promise<void> {
  for (const table of spec.tables) await source.tableInfo(table);
  for (const [table, columns] of columnsUsed(spec)) {
    const info = source.cachedInfo(table);
    for (const column of columns) {
      if (!info.columns.has(column)) {
        throw new SourceShapeError(
          `sink ${sinkName}: column ${column} does not exist in ${table} (it has: ${[...info.columns.keys()].join(', ')})`,
        );
      }
    }
  }
}

/** Refuse to open when an explicitly mapped field cannot hold a legal value of its column (index/mapping-check.ts). */
export async function checkMappingFits(
  sinkName: string,
  spec: DocumentSpec,
  source: SourceRows,
  mappings: Record<string, unknown> | undefined,
  settings: Record<string, unknown> | undefined,
): Promise<void> {
  const properties = mappings?.properties;
  const strict = String(mappings?.dynamic) === 'strict';
  const explicit = typeof properties === 'object' && properties !== null && Object.keys(properties).length > 0;
  if (!explicit && !strict) return;
  const types = new Map<string, Map<string, ColumnType>>();
  for (const table of spec.tables) {
    const info = await source.tableInfo(table);
    const columns = new Map<string, ColumnType>();
    for (const [column, sqlType] of info.columns)
      columns.set(column, { sqlType, baseType: info.baseTypes.get(column) ?? 'other' });
    types.set(table, columns);
  }
  const columnTypes = (table: string) => types.get(table);
  const conflicts = mappingConflicts(mappedFields(spec, columnTypes), mappings, settings);
  const unmapped = unmappedUnderStrict(spec, columnTypes, mappings);
  if (conflicts.length > 0 || unmapped.length > 0)
    throw new MappingRefusedError(describeConflicts(sinkName, conflicts, unmapped), conflicts);
}
