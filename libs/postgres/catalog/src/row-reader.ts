import { Pool, type PoolConfig } from 'pg';
import type { ColumnValue, Row } from '@distributary/core';
import type { ChangeDecoder, DecodedRelation } from '@distributary/pg-decode';
import { quoteIdent, quoteTable } from './publication';
import type { RawTuple } from '@distributary/pg-protocol';

/** Session settings that make text output match what pgoutput sends for the replication session. */
export const SOURCE_SESSION_OPTIONS =
  '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=3';

/** A pg Pool whose queries return every value as the server's text (no pg type parsers). */
export function createRawTextPool(url: string, config: PoolConfig = {}): Pool {
  const pool = new Pool({
    connectionString: url,
    options: SOURCE_SESSION_OPTIONS,
    types: { getTypeParser: () => (value: string) => value },
    ...config,
  } as PoolConfig);
  survivesDroppedConnections(pool);
  return pool;
}

/**
 * pg-pool listens for a client's 'error' only while the client is idle in the pool. A client checked
 * out between two queries (a snapshot chunk read holding its transaction while it appends to the log)
 * whose server restarts would emit 'error' with no listener and crash the process. Every client gets a
 * listener of its own: the dropped connection then fails the holder's next query, as any error does.
 */
export function survivesDroppedConnections(pool: Pool): void {
  pool.on('connect', (client) => client.on('error', () => undefined));
}

function keyParameter(value: ColumnValue): string | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Re-reads the current row of a relation by key, converted exactly like streamed rows. */
export async function rereadRow(
  pool: Pool,
  decoder: ChangeDecoder,
  relation: DecodedRelation,
  key: Row,
): Promise<Row | undefined> {
  const names = relation.keyColumns;
  if (names.length === 0) return undefined;
  const columns = relation.columns.map((c) => quoteIdent(c.name)).join(', ');
  const where = names.map((n, i) => `${quoteIdent(n)} = $${i + 1}`).join(' AND ');
  const result = await pool.query({
    text: `SELECT ${columns} FROM ${quoteTable(relation.table)} WHERE ${where}`,
    values: names.map((n) => keyParameter(key[n] ?? null)),
    rowMode: 'array',
  });
  const values = result.rows[0] as (string | null)[] | undefined;
  if (!values) return undefined;
  return decoder.toRow(relation, values as RawTuple).row;
}
