/**
 * A pipeline on a throwaway PostgreSQL with a tiny max_slot_wal_keep_size, whose slot can be lost on
 * demand (loseSlot), with the chaos workload's three sinks (Elasticsearch, Redis cache, view) and
 * checks that every sink equals the source. Shared by the slot-loss tests.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { stringify } from 'yaml';
import { expect } from 'vitest';
import { connectRedis } from '@distributary/changelog';
import { esUrl, redisUrl, uniqueName } from '@distributary/testkit';
import { checkSinks, type ChaosTargets } from '../chaos/sink-checks';
import { CHAOS_TABLES, CHAOS_VIEW_SQL, chaosSchemaSql } from '../chaos/workload';
import { ThrowawayPostgres } from '../chaos/throwaway-postgres';
import { deleteIndices, deleteKeys, Pipeline } from '../harness/pipeline';
import { repoRoot } from '../harness/role-process';

export const SLOT_LOSS_SINKS = ['accounts-search', 'notes-cache', 'orders-view'];

/** Changes made while the connector is stopped, so the lost slot never streams them: inserts, updates
 *  and deletes in every table (accounts 21..30, notes 6..15 and account 3's orders are deleted). */
export const GAP_CHANGES_SQL = `
      INSERT INTO public.accounts SELECT g, 'late ' || g, g, 'bio' FROM generate_series(61, 70) g;
      UPDATE public.accounts SET name = 'renamed ' || id WHERE id BETWEEN 11 AND 20;
      DELETE FROM public.accounts WHERE id BETWEEN 21 AND 30;
      INSERT INTO public.notes SELECT g, 1, 'late note ' || g FROM generate_series(61, 65) g;
      UPDATE public.notes SET body = 'edited' WHERE id BETWEEN 1 AND 5;
      DELETE FROM public.notes WHERE id BETWEEN 6 AND 15;
      DELETE FROM public.orders WHERE account_id = 3;
      UPDATE public.orders SET amount = amount * 2 WHERE account_id = 4;
      INSERT INTO public.orders SELECT g, 21, 5, 'late' FROM generate_series(121, 130) g;`;

export interface LostSlotFixtureOptions {
  prefix: string;
  /** Extra published tables (created by extraSql), read by no sink. */
  extraTables?: string[];
  extraSql?: string;
}

export class LostSlotFixture {
  readonly name: string;
  readonly dir: string;
  pg!: ThrowawayPostgres;
  source!: Client;
  pipeline!: Pipeline;
  targets!: ChaosTargets;

  constructor(private readonly options: LostSlotFixtureOptions) {
    this.name = uniqueName(options.prefix).replace(/_/g, '-');
    this.dir = join(repoRoot, '.local', 'slot-loss', this.name);
  }

  async create(): Promise<void> {
    const { name, dir } = this;
    mkdirSync(join(dir, 'logs'), { recursive: true });
    this.pg = await ThrowawayPostgres.create(join(dir, 'postgres'), [
      "max_slot_wal_keep_size = '32MB'",
      "wal_keep_size = '0'",
    ]);
    this.source = new Client({ connectionString: this.pg.url() });
    await this.source.connect();
    await this.source.query(chaosSchemaSql);
    await this.source.query(`
      INSERT INTO public.accounts SELECT g, 'account ' || g, g * 10, NULL FROM generate_series(1, 60) g;
      INSERT INTO public.notes SELECT g, 1 + g % 60, 'note ' || g FROM generate_series(1, 60) g;
      INSERT INTO public.orders SELECT g, 1 + g % 20, g, 'new' FROM generate_series(1, 120) g;`);
    if (this.options.extraSql) await this.source.query(this.options.extraSql);
    const cachePrefix = `cache-${name}:note:`;
    this.targets = {
      sourceUrl: this.pg.url(),
      esUrl: esUrl(),
      esIndex: `${name}-accounts`,
      cacheRedisUrl: redisUrl(0),
      cachePrefix,
      viewTable: 'public.orders_by_account',
    };
    this.pipeline = new Pipeline({
      name,
      sourceUrl: this.pg.url(),
      tables: [...CHAOS_TABLES, ...(this.options.extraTables ?? [])],
      logRedisUrl: redisUrl(0),
      partitions: 3,
      snapshot: 'initial',
      logDir: join(dir, 'logs'),
      sinks: [
        {
          name: SLOT_LOSS_SINKS[0],
          elasticsearch: { url: esUrl(), index: this.targets.esIndex },
          from: 'public.accounts',
        },
        {
          name: SLOT_LOSS_SINKS[1],
          redis: { url: redisUrl(0) },
          namespace: `${name}:cache-state`,
          from: 'public.notes',
          key: `${cachePrefix}{id}`,
        },
        {
          name: SLOT_LOSS_SINKS[2],
          view: { postgres: this.pg.url(), table: this.targets.viewTable },
          sql: CHAOS_VIEW_SQL,
        },
      ],
    });
  }

  /** Writes a config file of this pipeline with `source` changed by `edit`; returns its path. */
  configWith(suffix: string, edit: (source: Record<string, unknown>) => Record<string, unknown>): string {
    const config = this.pipeline.config() as { source: Record<string, unknown> };
    const file = this.pipeline.configFile.replace(/\.yaml$/, `.${suffix}.yaml`);
    writeFileSync(file, stringify({ ...config, source: edit(config.source) }));
    return file;
  }

  async destroy(): Promise<void> {
    const { name } = this;
    await this.pipeline?.destroy({ esUrl: esUrl(), esIndex: this.targets?.esIndex, cacheRedisUrl: redisUrl(0) });
    const cache = connectRedis({ url: redisUrl(0) });
    await deleteKeys(cache, `cache-${name}:*`).catch(() => undefined);
    await deleteKeys(cache, `${name}:*`).catch(() => undefined);
    cache.disconnect();
    await deleteIndices(esUrl(), `${name}-accounts`);
    await this.source?.end().catch(() => undefined);
    await this.pg?.destroy();
    if (!process.env.KEEP_SLOT_LOSS) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Waits until the log and every sink hold everything the source committed so far. */
  async drained(): Promise<void> {
    const lsn = await this.pipeline.sourceLsn();
    await this.pipeline.waitForLog(lsn, 120_000);
    await this.pipeline.waitForSinks(lsn, SLOT_LOSS_SINKS, 120_000);
  }

  async expectSinksEqualSource(): Promise<void> {
    const checks = await checkSinks(this.targets);
    for (const check of checks) {
      expect(check.report.expectedCount, check.sink).toBeGreaterThan(0);
      expect(
        { missing: check.report.missingCount, different: check.report.differentCount, extra: check.report.extraCount },
        `${check.sink}: ${JSON.stringify(check.report).slice(0, 1500)}`,
      ).toEqual({ missing: 0, different: 0, extra: 0 });
    }
  }

  async slotRow(): Promise<{ wal_status: string | null; active: boolean } | undefined> {
    const { rows } = await this.source.query<{ wal_status: string | null; active: boolean }>(
      'SELECT wal_status, active FROM pg_replication_slots WHERE slot_name = $1',
      [this.pipeline.slotName],
    );
    return rows[0];
  }

  /** Enough WAL past max_slot_wal_keep_size, then a checkpoint: PostgreSQL invalidates the slot. */
  async loseSlot(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      await this.source.query(`UPDATE public.orders SET status = status WHERE id = 1`);
      await this.source.query('SELECT pg_switch_wal()');
    }
    await this.source.query('CHECKPOINT');
    expect((await this.slotRow())?.wal_status).toBe('lost');
  }
}
