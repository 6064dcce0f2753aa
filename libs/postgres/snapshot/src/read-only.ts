import type { ClientBase, Pool, PoolClient } from 'pg';

/**
 * Runs `work` in a READ ONLY transaction on a connection of `pool` (the connector's role): whatever
 * SQL an operator's condition ends up in, it cannot change the source. Rolled back on any error.
 */
export function readOnly<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, (client) => client.query('BEGIN TRANSACTION READ ONLY'), work);
}

/**
 * Runs `work` on a connection of `pool` inside the transaction `begin` opens (begin throws with none
 * open): committed when `work` resolves, rolled back when it throws. A connection that could not roll
 * back, or whose error says it is gone (class 08 / 57P), is destroyed instead of returned to the pool.
 */
export async function inTransaction<T>(
  pool: Pool,
  begin: (client: ClientBase) => Promise<unknown>,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await begin(client);
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    }
  } catch (error) {
    broken ||= isDead(error);
    throw error;
  } finally {
    client.release(broken);
  }
}

function isDead(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(08|57P)/.test(code);
}
