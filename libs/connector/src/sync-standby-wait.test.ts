import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis, readConnectorState, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { GhostStandby, deleteNamespace, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { ThrowawayPostgres } from '../../../test/chaos/throwaway-postgres';
import { Connector } from './connector';

/**
 * A lagging (here: absent) synchronous standby. With synchronous_standby_names set, every commit waits
 * for the standby's confirmation — the connector's own too (CREATE PUBLICATION at its start). It must
 * say so, naming the setting and the standbys connected, and clear it once commits go through. A
 * throwaway cluster: the setting would stall every other test on the shared server.
 */
let pg: ThrowawayPostgres;
let redis: RedisClient;
const namespace = uniqueName('syncwait');
const keys = new LogKeys(namespace);
let connector: Connector | undefined;

let standby: GhostStandby;

beforeAll(async () => {
  pg = await ThrowawayPostgres.create(join(__dirname, '../../../../.local/lock-wait', namespace));
  redis = connectRedis({ url: redisUrl() });
  standby = new GhostStandby(pg.url());
  await (await standby.connect()).query('CREATE TABLE items (id int PRIMARY KEY, v text)');
  await standby.hold();
});

afterAll(async () => {
  await connector?.stop();
  await standby?.close();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
  await pg?.destroy();
});

describe('a connector whose commits wait for a synchronous standby', () => {
  it('reports the setting and the (missing) standbys, then clears it', async () => {
    const config = configSchema.parse({
      source: {
        postgres: { url: pg.url(), slot: 'syncwait', publication: 'syncwait', snapshot: 'never' },
        tables: ['public.items'],
      },
      log: { redis: { url: redisUrl() }, namespace, partitions: 1 },
    });
    connector = new Connector({ config, logger: silentLogger });
    void connector.run();
    const waiting = await waitFor(
      'the connector state names the standby',
      async () => {
        const state = await readConnectorState(redis, keys);
        return state.waitingFor?.includes('ghost_standby') ? state : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(waiting.waitingFor).toMatch(
      /waits for a lagging or missing standby: synchronous_standby_names = 'ghost_standby'; standbys: none connected/,
    );
    await standby.release();
    await waitFor('the wait is cleared', async () => (await readConnectorState(redis, keys)).waitingFor === '', {
      timeoutMs: 30_000,
    });
  });
});
