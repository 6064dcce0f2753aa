import type { PoolClient } from 'pg';
import type { Logger } from '@distributary/observability';
import type { TypeLookup } from '@distributary/pg-decode';
import { splitKeyRanges } from './key-ranges';
import { pendingRanges, rangeFields, recordedBoundaries, type KeyRange } from './range-state';
import type { InitialSnapshotStore } from './snapshot-store';
import { describeSnapshotTable, estimateRows, type SnapshotTableMeta } from './table-meta';

/** Key ranges per connection at most: a few more ranges than readers even out uneven ranges and tables. */
const RANGES_PER_CONNECTION = 4;

export interface TablePlan {
  meta: SnapshotTableMeta;
  estimate: number;
  /** Its ranges still to read (all of them on a first run). */
  pending: KeyRange[];
}

export interface PlanOptions {
  client: PoolClient;
  types: TypeLookup;
  tables: readonly string[];
  saved: Record<string, string>;
  record: InitialSnapshotStore;
  chunkSize: number;
  connections: number;
  logger: Logger;
}

/** How many ranges a table of `estimate` rows is read in: one per two chunks, at most a few per connection. */
export function rangeCount(estimate: number, chunkSize: number, connections: number): number {
  if (connections <= 1) return 1;
  return Math.max(1, Math.min(connections * RANGES_PER_CONNECTION, Math.floor(estimate / (2 * chunkSize))));
}

/**
 * Describes every table, estimates its rows, resolves its column types and splits it into key ranges,
 * on one connection inside the snapshot (before the readers' connections are taken: the type lookups
 * need one of the pool's other connections). A table's boundaries are recorded before any of its rows
 * is read; a resume reuses the recorded ones.
 */
export async function planTables(options: PlanOptions): Promise<Map<string, TablePlan>> {
  const { client, saved, record, logger } = options;
  const plans = new Map<string, TablePlan>();
  const estimates = new Map(options.tables.map((t) => [t, Number(saved[`t:${t}:estimate`] ?? 0)]));
  for (const table of options.tables) {
    const meta = await describeSnapshotTable(client, table);
    for (const column of meta.columns) await options.types.resolve(column.typeOid);
    const estimate = await estimateRows(client, table);
    estimates.set(table, estimate);
    let boundaries = recordedBoundaries(saved, table);
    const fields: Record<string, string | number> = { [`t:${table}:estimate`]: estimate };
    if (!boundaries) {
      const legacy = saved[rangeFields.legacyAfter(table)] !== undefined;
      const ranges = legacy ? 1 : rangeCount(estimate, options.chunkSize, options.connections);
      boundaries = await splitKeyRanges(client, meta, estimate, ranges);
      fields[rangeFields.boundaries(table)] = JSON.stringify(boundaries);
    }
    fields.estimatedTotal = [...estimates.values()].reduce((a, b) => a + b, 0);
    await record.write(fields);
    const pending = pendingRanges(saved, table, boundaries);
    plans.set(table, { meta, estimate, pending });
    logger.info(
      { table, estimate, ranges: boundaries.length + 1, pending: pending.length },
      'initial snapshot: reading table',
    );
  }
  return plans;
}
