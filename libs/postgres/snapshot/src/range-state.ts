import type { KeyCursor } from './chunk-reader';

/** One key range of a table (see splitKeyRanges) and where its reading resumes. */
export interface KeyRange {
  table: string;
  index: number;
  /** Cursor to read after: the range's lower boundary, or its last recorded key on a resume; null = the start. */
  after: KeyCursor | null;
  /** Inclusive upper boundary; undefined for the table's last range. */
  upTo?: KeyCursor;
}

/**
 * Field names of a table's key ranges in the initial snapshot's record: the boundaries (recorded once,
 * before any of its rows is read, so a resume reads the very same ranges) and per range the key after
 * which it resumes, or that it is done.
 */
export const rangeFields = {
  boundaries: (table: string) => `t:${table}:ranges`,
  after: (table: string, index: number) => `t:${table}:r${index}:after`,
  done: (table: string, index: number) => `t:${table}:r${index}:done`,
  /** A whole table done (every range). */
  tableDone: (table: string) => `t:${table}:done`,
  tableRows: (table: string) => `t:${table}:rows`,
  /** The single cursor of a record written before tables were split into ranges. */
  legacyAfter: (table: string) => `t:${table}:after`,
};

/** The recorded boundaries of a table, or undefined when it was not split yet. */
export function recordedBoundaries(saved: Record<string, string>, table: string): KeyCursor[] | undefined {
  const text = saved[rangeFields.boundaries(table)];
  return text === undefined ? undefined : (JSON.parse(text) as KeyCursor[]);
}

/**
 * The ranges of a table still to read, each from where the record says it stopped. A record of the
 * single-cursor version resumes as one range from its cursor.
 */
export function pendingRanges(saved: Record<string, string>, table: string, boundaries: KeyCursor[]): KeyRange[] {
  const legacy = saved[rangeFields.legacyAfter(table)];
  if (boundaries.length === 0 && legacy !== undefined && saved[rangeFields.after(table, 0)] === undefined)
    return [{ table, index: 0, after: JSON.parse(legacy) as KeyCursor }];
  const ranges: KeyRange[] = [];
  for (let index = 0; index <= boundaries.length; index++) {
    if (saved[rangeFields.done(table, index)] === '1') continue;
    const resume = saved[rangeFields.after(table, index)];
    ranges.push({
      table,
      index,
      after: resume !== undefined ? (JSON.parse(resume) as KeyCursor) : index > 0 ? boundaries[index - 1] : null,
      ...(index < boundaries.length ? { upTo: boundaries[index] } : {}),
    });
  }
  return ranges;
}
