import { join } from 'node:path';
import type { Client } from 'pg';
import { canonicalKey } from '@distributary/core';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis, toLogEntry, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { GhostStandby, deleteNamespace, redisUrl, uniqueName, waitFor, slotStreaming } from '@distributary/testkit';
import { ThrowawayPostgres } from '../../../test/chaos/throwaway-postgres';
import { Connector } from '../src/connector';

const PARTITIONS = 2;

/**
 * For tests of commits that are in the WAL but not yet visible: a throwaway cluster (the setting would
 * stall every commit on the shared server) whose commits can be held by a ghost synchronous standby,
 * a table `items` (ids 1-20, v = 'old') and a connector streaming it into its own log namespace —
 * optionally as a role that cannot see other roles' backends in pg_stat_activity.
 */
export class StandbyFixture {
  readonly keys: LogKeys;
  private connector: Connector | undefined;
  private run: Promise<void> | undefined;

  private constructor(
    private readonly pg: ThrowawayPostgres,
    readonly redis: RedisClient,
    readonly standby: GhostStandby,
    private readonly namespace: string,
  ) {
    this.keys = new LogKeys(namespace);
  }

  /** Creates the cluster, the table and (with `blindRole`) the role, starts the connector, then holds commits. */
  static async start(name: string, options: { blindRole: boolean }): Promise<StandbyFixture> {
    const namespace = uniqueName(name);
    const pg = await ThrowawayPostgres.create(join(__dirname, '../../../../.local/visible-snapshot', namespace));
    const fixture = new StandbyFixture(pg, connectRedis({ url: redisUrl() }), new GhostStandby(pg.url()), namespace);
    const admin = await fixture.connect();
    await admin.query(`CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)`);
    await admin.query(`INSERT INTO items SELECT g, 'old' FROM generate_series(1, 20) g`);
    const url = new URL(pg.url());
    if (options.blindRole) {
      // a role that can replicate but cannot see other roles' backends in pg_stat_activity
      await admin.query(`CREATE ROLE capture LOGIN REPLICATION`);
      await admin.query(`GRANT CREATE ON DATABASE postgres TO capture`);
      await admin.query(`ALTER TABLE items OWNER TO capture`);
      url.username = 'capture';
    }
    const connector = new Connector({
      config: configSchema.parse({
        source: {
          postgres: { url: url.toString(), slot: name, publication: name, snapshot: 'never' },
          tables: ['public.items'],
        },
        log: { redis: { url: redisUrl() }, namespace, partitions: PARTITIONS },
      }),
      logger: silentLogger,
    });
    fixture.connector = connector;
    fixture.run = connector.run();
    fixture.run.catch(() => undefined);
    await waitFor(
      'the slot to stream',
      async () =>
        (await slotStreaming({ sql: async (text, params) => (await admin.query(text, params)).rows }, name)) ||
        undefined,
      { timeoutMs: 60_000 },
    );
    await admin.query(`UPDATE items SET v = 'streamed' WHERE id = 1`);
    await waitFor('the stream to flow', async () => (await fixture.loggedValue(1)) === 'streamed' || undefined, {
      timeoutMs: 30_000,
    });
    await fixture.standby.hold(); // from here on every commit waits for the (absent) standby
    return fixture;
  }

  /** A connected superuser client, ended by stop(). */
  connect(): Promise<Client> {
    return this.standby.connect();
  }

  /** The value of `v` of row `id` after the log's events for it (one partition holds them all, in log order). */
  async loggedValue(id: number): Promise<unknown> {
    const key = canonicalKey('public.items', { id });
    let value: unknown;
    for (let p = 0; p < PARTITIONS; p++) {
      for (const raw of (await this.redis.xrange(this.keys.partition(p), '-', '+')) as [string, string[]][]) {
        const { event } = toLogEntry(raw);
        if (canonicalKey(event.table, event.key) === key) value = event.op === 'd' ? undefined : event.after?.v;
      }
    }
    return value;
  }

  /** Starts `UPDATE items SET v = 'new' WHERE id = <id>` and resolves once its commit record is written and it waits for the standby. */
  async heldUpdate(id: number): Promise<{ committed: Promise<unknown> }> {
    const writer = await this.connect();
    const committed = writer.query(`UPDATE items SET v = 'new' WHERE id = $1`, [id]);
    committed.catch(() => undefined); // the caller awaits it
    const admin = await this.connect();
    await waitFor(
      'the update to wait for the standby (its commit record written)',
      async () =>
        (
          await admin.query(
            `SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE 'UPDATE items%'`,
          )
        ).rowCount === 1 || undefined,
      { timeoutMs: 30_000 },
    );
    return { committed };
  }

  async stop(): Promise<void> {
    await this.standby.release().catch(() => undefined); // a failed test must not leave commits waiting
    await this.connector?.stop();
    await this.run?.catch(() => undefined);
    await this.standby.close();
    await deleteNamespace(this.redis, this.namespace);
    this.redis.disconnect();
    await this.pg.destroy();
  }
}
