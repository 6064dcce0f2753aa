import { parseLsn } from '@distributary/core';
import { configSchema } from '@distributary/config';
import { LogKeys, readConnectorState, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { redisUrl, waitFor, type TestDatabase } from '@distributary/testkit';
import { Connector } from '../src/connector';

/** An in-process connector on `tables` of the test database, its log in `namespace`. */
export function connectorUnderTest(options: {
  db: TestDatabase;
  namespace: string;
  slot: string;
  tables: string[];
  snapshot: 'initial' | 'never';
  partitions: number;
}): Connector {
  const { db, namespace, slot, tables, snapshot, partitions } = options;
  return new Connector({
    config: configSchema.parse({
      source: {
        postgres: { url: db.url, slot, publication: slot, snapshot, heartbeat: '1s' },
        tables,
        connector: { statusEvery: '500ms', leaseTtl: '3s', leaseRenew: '1s' },
      },
      log: { redis: { url: redisUrl() }, namespace, partitions },
    }),
    logger: silentLogger,
  });
}

/** Waits until the connector of `namespace` confirmed the source's current WAL position. */
export async function confirmedCurrentWal(db: TestDatabase, redis: RedisClient, namespace: string): Promise<void> {
  const [{ lsn }] = await db.sql<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`);
  await waitFor(
    'the connector to confirm the current WAL position',
    async () => {
      const state = await readConnectorState(redis, new LogKeys(namespace));
      return state.confirmedLsn !== undefined && parseLsn(state.confirmedLsn) >= parseLsn(lsn);
    },
    { timeoutMs: 60_000 },
  );
}
