import { Client } from 'pg';
import { pgUrl } from './stack';
import { uniqueName } from './names';

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs SQL in the test database (one short-lived connection). */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Drops the database, first dropping its replication slots and terminating its sessions. */
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await withClient(pgUrl(), (c) => c.query(`CREATE DATABASE ${name}`));
  const url = pgUrl(name);
  return {
    name,
    url,
    sql: (text, params) => withClient(url, async (c) => (await c.query(text, params)).rows),
    drop: () =>
      withClient(pgUrl(), async (c) => {
        await c.query(
          `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`,
          [name],
        );
        await c.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [name],
        );
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            await c.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`, [
              name,
            ]);
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 250));
          }
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
