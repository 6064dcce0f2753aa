import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis, readConnectorState, type RedisClient } from '@distributary/changelog';
import { createLogger } from '@distributary/observability';
import { Connector } from './connector';
import { createTestDatabase, redisUrl, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';

/**
 * stop() ends while the status publisher is busy. The publisher used to start a publication every
 * statusEvery whether or not the previous one had finished: they queued on the 2-connection catalog
 * pool, and pg-pool's end() never settles a query still waiting in its queue — so stop() waited
 * forever for the last publication (snapshot-pipeline.test.ts timed out in most runs). With a 1 ms
 * statusEvery every publication overlaps the next; stop() must end without giving up.
 */
let db: TestDatabase;
let redis: RedisClient;

beforeAll(async () => {
  db = await createTestDatabase('connstop');
  redis = connectRedis({ url: redisUrl() });
  await db.sql(`CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL)`);
});

afterAll(async () => {
  redis?.disconnect();
  await db?.drop();
});

describe('connector stop', () => {
  it('ends while status publications are in progress, without giving up on any wait', async () => {
    const slot = uniqueName('slot');
    const namespace = uniqueName('connstop');
    const lines: string[] = [];
    const logger = createLogger('connector-stop-test', 'info', { write: (line: string) => void lines.push(line) });
    const connector = new Connector({
      config: configSchema.parse({
        source: {
          postgres: { url: db.url, slot, publication: slot, snapshot: 'never', heartbeat: '1s' },
          tables: ['public.items'],
          connector: { statusEvery: '1ms', leaseTtl: '3s', leaseRenew: '1s' },
        },
        log: { redis: { url: redisUrl() }, namespace, partitions: 2 },
      }),
      logger,
    });
    const run = connector.run();
    try {
      await waitFor('the connector to stream', async () => lines.some((line) => line.includes('"msg":"streaming"')), {
        timeoutMs: 60_000,
      });
      for (let i = 1; i <= 50; i++) await db.sql(`INSERT INTO items VALUES ($1, $1)`, [i]);
      await waitFor(
        'the connector to publish its status',
        async () => (await readConnectorState(redis, new LogKeys(namespace))).confirmedLsn !== undefined,
      );
    } finally {
      await connector.stop();
      await run.catch(() => undefined);
    }
    expect(connector.role).toBe('stopped');
    const gaveUp = lines.filter((line) => /did not end in time|did not finish|did not close/.test(line));
    expect(gaveUp).toEqual([]);
  });
});
