import { join } from 'node:path';
import { Client } from 'pg';
import { uniqueName } from '@distributary/testkit';
import { ThrowawayPostgres } from '../../../../test/chaos/throwaway-postgres';

/**
 * A PostgreSQL cluster of one test file's own (initdb'd under .local/connector-process/), for tests
 * whose connector creates a logical slot. Creating one waits until every transaction holding an xid
 * ANYWHERE in the cluster has ended: on the shared test server that is every other suite's open
 * transactions (a test that holds one open on purpose, a bulk load...), so "the connector streams"
 * depended on what the rest of the machine did at that moment (issue 18 item 6: the standby test
 * failed 1 in 2 loaded runs). On a private cluster only the file's own sessions exist.
 */
export interface PrivateSource {
  url: string;
  sql<R extends object>(text: string, values?: unknown[]): Promise<R[]>;
  destroy(): Promise<void>;
}

export async function createPrivateSource(prefix: string): Promise<PrivateSource> {
  const root = join(__dirname, '../../../..');
  const pg = await ThrowawayPostgres.create(join(root, '.local', 'connector-process', uniqueName(prefix)));
  return {
    url: pg.url(),
    sql: async <R extends object>(text: string, values?: unknown[]): Promise<R[]> => {
      const client = new Client({ connectionString: pg.url() });
      await client.connect();
      try {
        return (await client.query<R>(text, values)).rows;
      } finally {
        await client.end();
      }
    },
    destroy: () => pg.destroy(),
  };
}
