import type { Pool } from 'pg';
import { canonicalTable, quoteIdent, SourceShapeError, splitTable } from '@distributary/core';

/** The one quoting function (libs/core identifiers). */
export { quoteIdent };

export function quoteTable(table: string): string {
  const { schema, table: name } = splitTable(table);
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

export interface PublicationChange {
  created: boolean;
  added: string[];
  removed: string[];
}

/**
 * Keeps the publication equal to the configured tables: created when missing; an existing one that
 * publishes other tables is brought in line (ALTER PUBLICATION … ADD / DROP TABLE) and the tables
 * added are returned, so the connector can snapshot them. Every operation must be published.
 */
export async function ensurePublication(
  pool: Pool,
  publication: string,
  tables: readonly string[],
): Promise<PublicationChange> {
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
    return { created: true, added: [...tables], removed: [] };
  }
  const flags = existing.rows[0];
  if (!flags.pubinsert || !flags.pubupdate || !flags.pubdelete || !flags.pubtruncate)
    throw new SourceShapeError(
      `publication ${publication} does not publish every operation: run ` +
        `ALTER PUBLICATION ${publication} SET (publish = 'insert, update, delete, truncate')`,
    );
  if (flags.puballtables) return { created: false, added: [], removed: [] };
  const { rows } = await pool.query<{ schema: string; name: string }>(
    `SELECT schemaname AS schema, tablename AS name FROM pg_publication_tables WHERE pubname = $1`,
    [publication],
  );
  // The canonical form of source.tables (quoted where a name needs it), so '"Odd . Schema"."T"' matches.
  const published = new Set(rows.map((r) => canonicalTable(r.schema, r.name)));
  const added = tables.filter((t) => !published.has(t));
  const removed = [...published].filter((t) => !tables.includes(t));
  if (added.length)
    await pool.query(`ALTER PUBLICATION ${quoteIdent(publication)} ADD TABLE ${added.map(quoteTable).join(', ')}`);
  if (removed.length)
    await pool.query(`ALTER PUBLICATION ${quoteIdent(publication)} DROP TABLE ${removed.map(quoteTable).join(', ')}`);
  return { created: false, added, removed };
}
