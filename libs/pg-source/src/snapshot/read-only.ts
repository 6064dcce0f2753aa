import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in a READ ONLY transaction on a connection of `pool` (the connector's role): whatever
 * SQL an operator's condition ends up in, it cannot change the source. Rolled back on any error.
 */
export async function readOnly<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
