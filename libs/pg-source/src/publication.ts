import type { Pool } from 'pg';
import { SourceShapeError, splitTable } from '@distributary/core';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteTable(table: string): string {
  const { schema, table: name } = splitTable(table);
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * Creates the publication for exactly the configured tables when it is missing; an existing one must
 * publish exactly those tables (and every operation) or we stop and say how to fix it.
 */
export async function ensurePublication(
  pool: Pool,
  publication: string,
  tables: readonly string[],
): Promise<'created' | 'valid'> {
  const existing = await pool.query<{
    pubinsert: boolean;
    pubupdate: boolean;
    pubdelete: boolean;
    pubtruncate: boolean;
    puballtables: boolean;
  }>(`SELECT pubinsert, pubupdate, pubdelete, pubtruncate, puballtables FROM pg_publication WHERE pubname = $1`, [
    publication,
  ]);
  if (existing.rows.length === 0) {
    await pool.query(`CREATE PUBLICATION ${quoteIdent(publication)} FOR TABLE ${tables.map(quoteTable).join(', ')}`);
    return 'created';
  }
  const flags = existing.rows[0];
  if (!flags.pubinsert || !flags.pubupdate || !flags.pubdelete || !flags.pubtruncate)
    throw new SourceShapeError(
      `publication ${publication} does not publish every operation: run ` +
        `ALTER PUBLICATION ${publication} SET (publish = 'insert, update, delete, truncate')`,
    );
  if (flags.puballtables) return 'valid';
  const { rows } = await pool.query<{ table: string }>(
    `SELECT schemaname || '.' || tablename AS table FROM pg_publication_tables WHERE pubname = $1`,
    [publication],
  );
  const published = new Set(rows.map((r) => r.table));
  const wanted = new Set(tables);
  const missing = [...wanted].filter((t) => !published.has(t));
  const extra = [...published].filter((t) => !wanted.has(t));
  if (missing.length || extra.length)
    throw new SourceShapeError(
      `publication ${publication} does not match source.tables` +
        (missing.length ? `; missing: ${missing.join(', ')}` : '') +
        (extra.length ? `; not configured: ${extra.join(', ')}` : '') +
        `. Fix: ALTER PUBLICATION ${publication} SET TABLE ${tables.join(', ')} — or change source.tables`,
    );
  return 'valid';
}
