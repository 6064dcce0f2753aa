import { SourceShapeError } from '@distributary/core';
import { columnsUsed, type DocumentSpec } from './document/document-spec';
import type { SourceReader } from './source/source-reader';

/** Refuse to start when the document config names a table or column the source does not have. */
export async function checkSourceShape(sinkName: string, spec: DocumentSpec, source: SourceReader): Promise<void> {
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
