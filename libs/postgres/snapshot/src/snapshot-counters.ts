import type { KeyCursor } from './chunk-reader';
import { rangeFields, type KeyRange } from './range-state';

/**
 * The initial snapshot's running counts and the progress fields each appended chunk records. Called
 * in append order only (from the append queue's progress callbacks), so the counts are those of the
 * rows already in the log.
 */
export class SnapshotCounters {
  rows = 0;
  chunks = 0;
  private totalRows: number;
  private readonly tableRows = new Map<string, number>();
  private readonly rangesLeft = new Map<string, number>();

  constructor(saved: Record<string, string>, ranges: ReadonlyMap<string, number>) {
    this.totalRows = Number(saved.rowsDone ?? 0);
    for (const [table, left] of ranges) {
      this.rangesLeft.set(table, left);
      this.tableRows.set(table, Number(saved[rangeFields.tableRows(table)] ?? 0));
    }
  }

  /** Rows of `table` in the log (this run's and the recorded earlier runs'). */
  rowsOf(table: string): number {
    return this.tableRows.get(table) ?? 0;
  }

  /** Counts a chunk of `count` rows of `range` ending at `next` (null: the range is done); its fields. */
  chunk(range: KeyRange, count: number, next: KeyCursor | null, seq: number): Record<string, string | number> {
    const { table } = range;
    this.chunks++;
    this.rows += count;
    this.totalRows += count;
    const tableRows = this.rowsOf(table) + count;
    this.tableRows.set(table, tableRows);
    const fields: Record<string, string | number> = {
      seq,
      rowsDone: this.totalRows,
      [rangeFields.tableRows(table)]: tableRows,
    };
    if (next) {
      fields[rangeFields.after(table, range.index)] = JSON.stringify(next);
      return fields;
    }
    fields[rangeFields.done(table, range.index)] = 1;
    const left = (this.rangesLeft.get(table) ?? 1) - 1;
    this.rangesLeft.set(table, left);
    if (left === 0) fields[rangeFields.tableDone(table)] = 1;
    return fields;
  }
}
