import { Pool, type PoolClient } from 'pg';
import type { Logger } from '@distributary/observability';
import { isRetryable } from '../write/pg-errors';

/**
 * The view sink's connections to its target database: a small pool (made on open), transactions and
 * checked-out clients whose dropped connection fails the query instead of the process.
 */
export class TargetConnection {
  private pool?: Pool;

  constructor(
    private readonly url: string,
    private readonly what: string,
    private readonly logger: Logger,
  ) {}

  get isOpen(): boolean {
    return this.pool !== undefined;
  }

  open(): void {
    this.pool ??= this.createPool();
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * A pooled connection for `work`. A connection that fails while checked out emits 'error' on the
   * client (not the pool): listen for it so it surfaces as the failed query, and discard the client.
   */
  async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    if (!this.pool) throw new Error(`${this.what} is not open`);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      return await work(client);
    } catch (error) {
      broken ??= isRetryable(error) ? (error as Error) : undefined;
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  private createPool(): Pool {
    const pool = new Pool({
      connectionString: this.url,
      max: 2,
      // Shortest round-trip float text (float sums go through it, see aggregate-state.ts), whatever the server default.
      options: '-c TimeZone=UTC -c extra_float_digits=1',
    });
    pool.on('error', (error) => this.logger.warn({ err: error }, 'idle view target connection failed'));
    // pg-pool listens only while a client is idle; a checked-out client's dropped connection must fail
    // its next query, not the process.
    pool.on('connect', (client) => client.on('error', () => undefined));
    return pool;
  }
}

export async function runAll(client: PoolClient, statements: string[]): Promise<void> {
  for (const sql of statements) await client.query(sql);
}

/** Holds the transaction-scoped advisory lock `name` (view DDL, or one sink's applies). */
export async function lockForTransaction(client: PoolClient, name: string): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [name]);
}
