import { Pool, type PoolConfig } from 'pg';
import { ORACLE_SESSION_OPTIONS } from './contract-sql';

/** A pool whose queries return PostgreSQL's text for every column (no driver parsing). */
export function createTextPool(url: string, config: PoolConfig = {}): Pool {
  const pool = new Pool({
    connectionString: url,
    options: ORACLE_SESSION_OPTIONS,
    types: { getTypeParser: () => (value: string) => value },
    ...config,
  } as PoolConfig);
  pool.on('error', () => undefined);
  return pool;
}
