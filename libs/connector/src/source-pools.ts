import { Pool as PgPool, type Pool } from 'pg';
import type { Logger } from '@distributary/observability';
import { createRawTextPool, type OwnBackends } from '@distributary/pg-catalog';
import { errorText } from './error-text';

/**
 * The connector's pools on the source, opened on first use and tracked as our own backends (what they
 * wait for is reported): the catalog pool (catalog queries, heartbeats, status; 2 connections) and the
 * raw-text pool (re-reads and snapshots, returning the server's text exactly as pgoutput sends it).
 */
export class SourcePools {
  private catalogPool: Pool | null = null;
  private rawPool: Pool | null = null;

  constructor(
    private readonly url: string,
    private readonly backends: OwnBackends,
    private readonly logger: Logger,
  ) {}

  /** Catalog queries, heartbeats, status. */
  catalog(): Pool {
    if (!this.catalogPool) {
      this.catalogPool = this.backends.track(new PgPool({ connectionString: this.url, max: 2 }));
      this.catalogPool.on('error', (error) => this.logger.warn({ error: errorText(error) }, 'source pool error'));
    }
    return this.catalogPool;
  }

  /** Re-reads of rows, returning the server's text exactly as pgoutput sends it. */
  raw(size = 2): Pool {
    if (!this.rawPool) {
      this.rawPool = this.backends.track(createRawTextPool(this.url, { max: Math.max(2, size) }));
      this.rawPool.on('error', (error) => this.logger.warn({ error: errorText(error) }, 'source pool error'));
    }
    return this.rawPool;
  }

  /** Closes a raw-text pool smaller than `needed` (the next raw() opens one of the size asked for). */
  async dropRawSmallerThan(needed: number): Promise<void> {
    if (this.rawPool && this.rawPool.options.max < needed) {
      const small = this.rawPool;
      this.rawPool = null;
      await small.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const pools = [this.catalogPool, this.rawPool];
    this.catalogPool = null;
    this.rawPool = null;
    await Promise.all(pools.map((pool) => pool?.end().catch(() => undefined)));
  }
}
