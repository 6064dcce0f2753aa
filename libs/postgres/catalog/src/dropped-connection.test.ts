import { createTestDatabase, type TestDatabase } from '@distributary/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRawTextPool } from './row-reader';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('dropped');
});
afterAll(async () => {
  await db?.drop();
});

describe('a checked-out pool client whose connection is dropped', () => {
  it('fails its next query instead of crashing the process with an unhandled error event', async () => {
    const pool = createRawTextPool(db.url, { max: 1 });
    const client = await pool.connect();
    try {
      const [{ pid }] = (await client.query<{ pid: string }>('SELECT pg_backend_pid()::text AS pid')).rows;
      // Held between two queries (as a snapshot chunk read is while it appends), the server drops it.
      await db.sql('SELECT pg_terminate_backend($1::int)', [pid]);
      const errors: unknown[] = [];
      client.on('error', (error) => errors.push(error));
      await new Promise((resolve) => setTimeout(resolve, 500));
      await expect(client.query('SELECT 1')).rejects.toThrow();
    } finally {
      client.release(true);
      await pool.end();
    }
  });
});
