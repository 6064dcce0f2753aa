import type { Pool } from 'pg';
import { SourceShapeError } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { Logger } from '@distributary/observability';
import { requestSnapshot } from '@distributary/control';
import { slotMetrics } from '@distributary/pg-catalog';

export type SchemaChangePolicy = 'resync' | 'ignore' | 'stop';

const COLUMNS_SQL = `
SELECT t AS "table",
       (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
          FROM pg_attribute a
         WHERE a.attrelid = to_regclass(t) AND a.attnum > 0 AND NOT a.attisdropped) AS columns
  FROM unnest($1::text[]) AS t`;

export interface SchemaChange {
  table: string;
  before: string;
  after: string;
  policy: SchemaChangePolicy;
  snapshotId?: string;
}

export interface SchemaWatchOptions {
  pool: Pool;
  redis: RedisClient;
  keys: LogKeys;
  tables: readonly string[];
  policy: SchemaChangePolicy;
  byTable: Record<string, SchemaChangePolicy>;
  logger: Logger;
}

/** Hash: table → its column list as last seen by the connector. */
export function schemasKey(keys: LogKeys): string {
  return `${keys.connectorState()}:schemas`;
}

/**
 * Schema changes refresh old rows. `ALTER TABLE … ADD COLUMN … DEFAULT` (no rewrite: old rows get the
 * default only when read), `ALTER COLUMN … TYPE` and `DROP COLUMN` change every existing row without
 * one WAL record per row, so streaming alone leaves every sink stale until each row is written again.
 * The leader compares each published table's column list (names and types, from the catalog, so it
 * notices a change even when no row of the table is written afterwards) with the one it saw last and,
 * per `source.onSchemaChange` / `onSchemaChangeByTable`:
 *   resync → an incremental snapshot of that table (watermarks: correct while streaming goes on);
 *   ignore → logs it; stop → the connector stops with a message naming the table and the change.
 */
export class SchemaWatch {
  constructor(private readonly options: SchemaWatchOptions) {}

  /** Compares, records and acts; returns the changes found (throws on a `stop` policy). */
  async check(): Promise<SchemaChange[]> {
    const { pool, redis, keys, tables, logger } = this.options;
    const { rows } = await pool.query<{ table: string; columns: string | null }>(COLUMNS_SQL, [[...tables]]);
    const key = schemasKey(keys);
    const seen = await redis.hgetall(key);
    const changes: SchemaChange[] = [];
    for (const { table, columns } of rows) {
      if (columns === null) continue;
      const before = seen[table];
      if (before === columns) continue;
      await redis.hset(key, table, columns);
      if (before === undefined) continue;
      const policy = this.options.byTable[table] ?? this.options.policy;
      const change: SchemaChange = { table, before, after: columns, policy };
      changes.push(change);
      slotMetrics.schemaChanges.inc({ table, policy });
      if (policy === 'stop')
        throw new SourceShapeError(
          `the columns of ${table} changed (was: ${before}; now: ${columns}) and source.onSchemaChange is 'stop': ` +
            `rows written before the change are stale in every sink. Run \`distributary snapshot ${table}\` to refresh them, ` +
            `or set source.onSchemaChangeByTable.${table}: resync; a restart streams on from here`,
        );
      if (policy === 'ignore') {
        logger.warn({ table, before, after: columns }, 'schema change ignored (onSchemaChange: ignore)');
        continue;
      }
      const record = await requestSnapshot(redis, keys, { table, reason: `schema change: ${columns}` });
      change.snapshotId = record.id;
      logger.warn(
        { table, before, after: columns, snapshot: record.id },
        'schema change: re-snapshotting the table so every sink gets the new shape of old rows',
      );
    }
    return changes;
  }
}
