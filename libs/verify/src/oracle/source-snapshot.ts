import { Client } from 'pg';
import { parseLsn, type Lsn, type Row } from '@distributary/core';
import {
  ORACLE_SESSION_OPTIONS,
  describeOracleTable,
  quoteIdent,
  selectRendered,
  type OracleTable,
} from './contract-sql';
import { contractRow } from './contract-rows';

/**
 * One REPEATABLE READ READ ONLY transaction on the source: every expected value of one verification
 * pass is read in it, so they all hold at one point. `lsn` is pg_current_wal_lsn() read by the
 * transaction's first statement, which also takes the snapshot: every transaction the snapshot sees
 * committed below it (a transaction committing in that same instant can be below it yet unseen; the
 * second pass filters such keys like any other race).
 *
 * Values come from PostgreSQL's output functions through contract-sql.ts, never from pg-decode.
 */
export class SourceSnapshot {
  private cursors = 0;
  private readonly tables = new Map<string, OracleTable>();

  private constructor(
    private readonly client: Client,
    readonly lsn: Lsn,
  ) {}

  static async open(url: string): Promise<SourceSnapshot> {
    const client = new Client({
      connectionString: url,
      options: ORACLE_SESSION_OPTIONS,
      types: { getTypeParser: () => (value: string) => value },
    } as ConstructorParameters<typeof Client>[0]);
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      return new SourceSnapshot(client, parseLsn(rows[0].lsn));
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /** Rows as PostgreSQL's text (every column a string or null). */
  async query(sql: string, params: unknown[] = []): Promise<Record<string, string | null>[]> {
    return (await this.client.query<Record<string, string | null>>(sql, params)).rows;
  }

  async describe(table: string): Promise<OracleTable> {
    let info = this.tables.get(table);
    if (!info) {
      info = await describeOracleTable(this.client, table);
      this.tables.set(table, info);
    }
    return info;
  }

  /** Every row of `table` (optionally a WHERE over `t`), in chunks, as contract Rows. */
  async *scan(table: string, chunkSize = 1000): AsyncGenerator<{ rows: Row[]; info: OracleTable }> {
    const info = await this.describe(table);
    const cursor = quoteIdent(`verify_${++this.cursors}`);
    await this.client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${selectRendered(info)}`);
    try {
      for (;;) {
        const rows = await this.query(`FETCH ${chunkSize} FROM ${cursor}`);
        if (rows.length === 0) return;
        yield { rows: rows.map((r) => contractRow(info, r)), info };
        if (rows.length < chunkSize) return;
      }
    } finally {
      await this.client.query(`CLOSE ${cursor}`).catch(() => undefined);
    }
  }

  async end(): Promise<void> {
    await this.client.query('COMMIT').catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}

/** The snapshot of the verification pass in progress (sides read their expected values from it). */
export class SnapshotSlot {
  private snapshot?: SourceSnapshot;

  set(snapshot: SourceSnapshot | undefined): void {
    this.snapshot = snapshot;
  }

  get(): SourceSnapshot {
    if (!this.snapshot)
      throw new Error('no source snapshot is open (expected values are read inside a verification pass)');
    return this.snapshot;
  }
}
