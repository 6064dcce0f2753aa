import { quoteIdent, quoteTable } from '@distributary/pg-catalog';
import type { KeyCursor } from './chunk-reader';
import type { Queryable, SnapshotTableMeta } from './table-meta';

/** Sampled keys per range wanted: enough for even ranges, few enough to read in a few milliseconds. */
const SAMPLE_KEYS_PER_RANGE = 64;

/**
 * Boundaries splitting a table's primary-key space into at most `ranges` ranges (range i holds the keys
 * in (boundary[i-1], boundary[i]]; the first has no lower and the last no upper bound), from a
 * `TABLESAMPLE SYSTEM` sample of the keys ordered by the server (its collations, its type order), read
 * inside the caller's transaction. The boundaries only need to be increasing keys: every key falls in
 * exactly one range whatever they are, so an uneven sample costs balance, never a row. Fewer (or
 * none) when the sample is too small to split.
 */
export async function splitKeyRanges(
  db: Queryable,
  meta: SnapshotTableMeta,
  estimatedRows: number,
  ranges: number,
): Promise<KeyCursor[]> {
  if (ranges <= 1 || estimatedRows <= 1) return [];
  const percent = Math.min(100, (100 * ranges * SAMPLE_KEYS_PER_RANGE) / estimatedRows);
  const keys = meta.keyColumns.map(quoteIdent).join(', ');
  const { rows } = await db.query({
    text:
      `SELECT ${keys} FROM ${quoteTable(meta.table)} ` + `TABLESAMPLE SYSTEM (${percent.toFixed(6)}) ORDER BY ${keys}`,
    rowMode: 'array',
  });
  const sample = rows as KeyCursor[];
  const boundaries: KeyCursor[] = [];
  let previous = -1;
  for (let j = 1; j < ranges; j++) {
    const i = Math.floor((j * sample.length) / ranges) - 1;
    if (i <= previous || i >= sample.length - 1) continue;
    boundaries.push(sample[i]);
    previous = i;
  }
  return boundaries;
}
