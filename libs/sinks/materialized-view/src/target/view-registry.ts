import type { ClientBase } from 'pg';
import { ident } from './view-tables';

export interface RegisteredView {
  sink: string;
  targetTable: string;
  fingerprint: string;
  generation: number;
  sql: string;
}

export interface StoredPosition {
  lastId: string;
  fencingToken: number;
}

/**
 * Bookkeeping in the sink's state schema, shared by every view sink of one target database:
 * - view_positions (sink, partition) → last applied entry ID and the fencing token it was applied under,
 *   written in the same transaction as the view changes it stands for (exactly once);
 * - views (sink) → target table, generation of the state tables, fingerprint of the view's meaning.
 */
export class ViewRegistry {
  constructor(private readonly stateSchema: string) {}

  private get positions(): string {
    return `${ident(this.stateSchema)}.view_positions`;
  }

  private get views(): string {
    return `${ident(this.stateSchema)}.views`;
  }

  createTables(): string[] {
    return [
      `CREATE SCHEMA IF NOT EXISTS ${ident(this.stateSchema)}`,
      `CREATE TABLE IF NOT EXISTS ${this.positions} (sink text NOT NULL, partition integer NOT NULL, ` +
        `last_id text NOT NULL, fencing_token bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), ` +
        `PRIMARY KEY (sink, partition))`,
      `CREATE TABLE IF NOT EXISTS ${this.views} (sink text PRIMARY KEY, target_table text NOT NULL, ` +
        `fingerprint text NOT NULL, generation integer NOT NULL, sql text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    ];
  }

  async find(client: ClientBase, sink: string): Promise<RegisteredView | undefined> {
    const { rows } = await client.query<{
      target_table: string;
      fingerprint: string;
      generation: number;
      sql: string;
    }>(`SELECT target_table, fingerprint, generation, sql FROM ${this.views} WHERE sink = $1`, [sink]);
    const row = rows[0];
    return (
      row && {
        sink,
        targetTable: row.target_table,
        fingerprint: row.fingerprint,
        generation: row.generation,
        sql: row.sql,
      }
    );
  }

  async save(client: ClientBase, view: RegisteredView): Promise<void> {
    await client.query(
      `INSERT INTO ${this.views} (sink, target_table, fingerprint, generation, sql) VALUES ($1, $2, $3, $4, $5) ` +
        `ON CONFLICT (sink) DO UPDATE SET target_table = EXCLUDED.target_table, fingerprint = EXCLUDED.fingerprint, ` +
        `generation = EXCLUDED.generation, sql = EXCLUDED.sql, updated_at = now()`,
      [view.sink, view.targetTable, view.fingerprint, view.generation, view.sql],
    );
  }

  /** Locks the partition's position row for the rest of the transaction and returns it. */
  async lockPosition(client: ClientBase, sink: string, partition: number): Promise<StoredPosition | undefined> {
    const { rows } = await client.query<{ last_id: string; fencing_token: string }>(
      `SELECT last_id, fencing_token FROM ${this.positions} WHERE sink = $1 AND partition = $2 FOR UPDATE`,
      [sink, partition],
    );
    const row = rows[0];
    return row && { lastId: row.last_id, fencingToken: Number(row.fencing_token) };
  }

  async savePosition(client: ClientBase, sink: string, partition: number, position: StoredPosition): Promise<void> {
    await client.query(
      `INSERT INTO ${this.positions} (sink, partition, last_id, fencing_token) VALUES ($1, $2, $3, $4) ` +
        `ON CONFLICT (sink, partition) DO UPDATE SET last_id = EXCLUDED.last_id, fencing_token = EXCLUDED.fencing_token, ` +
        `updated_at = now()`,
      [sink, partition, position.lastId, position.fencingToken],
    );
  }

  /** Sets the positions a rebuild read up to, keeping each partition's fencing token. */
  async replacePositions(client: ClientBase, sink: string, positions: Map<number, string>): Promise<void> {
    await client.query(`DELETE FROM ${this.positions} WHERE sink = $1 AND NOT (partition = ANY($2::int[]))`, [
      sink,
      [...positions.keys()],
    ]);
    for (const [partition, lastId] of positions)
      await client.query(
        `INSERT INTO ${this.positions} (sink, partition, last_id, fencing_token) VALUES ($1, $2, $3, 0) ` +
          `ON CONFLICT (sink, partition) DO UPDATE SET last_id = EXCLUDED.last_id, updated_at = now()`,
        [sink, partition, lastId],
      );
  }

  async positionsOf(client: ClientBase, sink: string): Promise<Map<number, string>> {
    const { rows } = await client.query<{ partition: number; last_id: string }>(
      `SELECT partition, last_id FROM ${this.positions} WHERE sink = $1 ORDER BY partition`,
      [sink],
    );
    return new Map(rows.map((row) => [row.partition, row.last_id]));
  }
}
