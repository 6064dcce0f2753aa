/**
 * A lost replication slot heals itself, end to end, on a real PostgreSQL: a throwaway cluster with a
 * tiny max_slot_wal_keep_size, the connector stopped while inserts, updates and deletes happen and
 * enough WAL is written for PostgreSQL to invalidate the slot (wal_status 'lost'); the connector is
 * restarted, re-syncs (new slot, re-snapshot, reconcile deletes) and every sink — Elasticsearch, the
 * Redis cache and the materialized view — ends exactly equal to the source. Then a schema change
 * (ADD COLUMN … DEFAULT) refreshes the old rows in every sink without a manual step.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSlotHealthState, SnapshotRequests } from '@distributary/control';
import { waitFor } from '@distributary/testkit';
import { DashboardView } from './dashboard-view';
import { GAP_CHANGES_SQL, LostSlotFixture, SLOT_LOSS_SINKS as SINKS } from './lost-slot-fixture';
import { repoRoot, type RoleProcess } from '../harness/role-process';

const fixture = new LostSlotFixture({ prefix: 'slotloss' });
let connector: RoleProcess;
let dashboard: DashboardView | undefined;
const drained = () => fixture.drained();
const expectSinksEqualSource = () => fixture.expectSinksEqualSource();
const slotRow = () => fixture.slotRow();
let pipeline: LostSlotFixture['pipeline'];
let source: LostSlotFixture['source'];
const loseSlot = () => fixture.loseSlot();

/** `distributary <args>` as a child process (apps/cli main), resolving with its exit code and output. */
function cli(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'test/harness/run-role.ts'), ...args],
      { cwd: repoRoot },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

/** Waits for the connector's re-sync episode to be done (the connector alive all along). */
async function resyncDone(): Promise<void> {
  await waitFor(
    're-sync done',
    async () => {
      connector.assertAlive();
      const state = await readSlotHealthState(pipeline.redis, pipeline.keys);
      return state.resync?.state === 'done' ? state : undefined;
    },
    { timeoutMs: 120_000 },
  );
}

beforeAll(async () => {
  await fixture.create();
  pipeline = fixture.pipeline;
  source = fixture.source;
  connector = pipeline.start('connector');
  await pipeline.waitForSlot(connector);
  pipeline.start('worker');
}, 180_000);

afterAll(async () => {
  await dashboard?.close();
  await fixture.destroy();
}, 120_000);

describe('a lost replication slot', () => {
  it('is re-synced automatically: every sink ends equal to the source, the episode is recorded', async () => {
    await source.query(`UPDATE public.accounts SET balance = balance + 1 WHERE id <= 10`);
    await drained();
    await expectSinksEqualSource();

    await connector.stop();
    await source.query(GAP_CHANGES_SQL);
    await loseSlot();

    // What a user sees now: a red banner with PostgreSQL's reason, and no sink "caught up".
    dashboard = await DashboardView.open(pipeline.configFile);
    const view = dashboard;
    await waitFor('the lost-slot banner', async () => (await view.text('slot-banner')).includes('lost') || undefined);
    expect(await view.text('slot-banner')).toContain('max_slot_wal_keep_size');
    for (const sink of SINKS) expect(await view.text(`source-lag-${sink}`)).not.toBe('caught up');
    await view.shot('slot-loss-1-lost');

    connector = pipeline.start('connector');
    await resyncDone();
    await drained();
    await expectSinksEqualSource();

    const { resync, slotHealth } = await readSlotHealthState(pipeline.redis, pipeline.keys);
    expect(resync?.problem).toBe('lost');
    expect(resync?.reason).toContain("wal_status 'lost'");
    expect(BigInt(resync?.gapBytes ?? '0')).toBeGreaterThan(32n * 1024n * 1024n);
    // accounts 21..30 and notes 6..15 and the orders of account 3 were deleted in the gap.
    expect(resync?.deletedByTable?.['public.accounts']).toBe(10);
    expect(resync?.deletedByTable?.['public.notes']).toBe(10);
    expect(resync?.deletedByTable?.['public.orders']).toBe(6); // account_id = 1 + id % 20 = 3
    await waitFor('fresh slot health', async () => {
      const state = await readSlotHealthState(pipeline.redis, pipeline.keys);
      return state.slotHealth?.state === 'ok' && state.slotHealth.active ? true : undefined;
    });
    expect(slotHealth?.exists).toBe(true);

    // Streaming goes on from the new slot.
    await source.query(`UPDATE public.accounts SET balance = 0 WHERE id = 1; DELETE FROM public.notes WHERE id = 20`);
    await drained();
    await expectSinksEqualSource();
    expect(connector.output).not.toContain('cannot read from logical replication slot');

    // The dashboard shows the episode, and every sink caught up again.
    await view.page.reload();
    await waitFor(
      'the re-sync episode on the dashboard',
      async () => (await view.text('resync-episode')).includes('rows re-read') || undefined,
    );
    expect(await view.text('resync-episode')).toContain(`${resync?.deleted} rows deleted in the gap`);
    for (const sink of SINKS)
      await waitFor(`${sink} caught up on the dashboard`, async () =>
        (await view.text(`source-lag-${sink}`)) === 'caught up' ? true : undefined,
      );
    await view.shot('slot-loss-2-resynced');
  }, 300_000);

  it('ADD COLUMN … DEFAULT refreshes every old row in every sink (onSchemaChange: resync)', async () => {
    const before = await new SnapshotRequests(pipeline.redis, pipeline.keys).list(50);
    await source.query(`ALTER TABLE public.accounts ADD COLUMN tier text NOT NULL DEFAULT 'basic'`);
    await source.query(`ALTER TABLE public.notes ADD COLUMN pinned boolean DEFAULT false`);
    const fresh = await waitFor(
      'schema-change snapshots done',
      async () => {
        const all = await new SnapshotRequests(pipeline.redis, pipeline.keys).list(50);
        const fresh = all.filter((r) => !before.some((b) => b.id === r.id) && r.reason?.startsWith('schema change'));
        return fresh.length >= 2 && fresh.every((r) => r.status === 'done') ? fresh : undefined;
      },
      { timeoutMs: 120_000 },
    );
    await drained();
    await expectSinksEqualSource();
    // The dashboard says why these snapshots ran.
    const view = dashboard ?? (dashboard = await DashboardView.open(pipeline.configFile));
    await view.page.reload();
    expect(await view.text(`snapshot-reason-${fresh[0].id}`)).toContain('schema change:');
    await view.shot('slot-loss-3-schema-change');
  }, 300_000);

  it('with onSlotLost: stop, stays down with the reason until `distributary resync`, then re-syncs', async () => {
    const stopFile = fixture.configWith('stop', (source) => ({ ...source, onSlotLost: 'stop' }));
    await connector.stop();
    await source.query(
      `DELETE FROM public.accounts WHERE id BETWEEN 31 AND 35; UPDATE public.notes SET body = 'x' WHERE id = 30`,
    );
    await loseSlot();

    const stopped = pipeline.start('connector', { configFile: stopFile });
    await waitFor('the connector to stop on its own', async () => (!stopped.alive ? true : undefined), {
      timeoutMs: 60_000,
    });
    expect(stopped.child.exitCode).not.toBe(0);
    expect(stopped.output).toContain("source.onSlotLost is 'stop'");
    expect(stopped.output).toContain('distributary resync');
    expect(stopped.output).not.toContain('cannot read from logical replication slot');
    const { resync } = await readSlotHealthState(pipeline.redis, pipeline.keys);
    expect(resync).toMatchObject({ state: 'stopped', problem: 'lost' });
    expect((await slotRow())?.wal_status).toBe('lost');

    const requested = await cli(['resync', '--config', stopFile]);
    expect(requested.code, requested.output).toBe(0);
    expect(requested.output).toContain('re-sync requested');
    expect(await slotRow()).toBeUndefined();

    connector = pipeline.start('connector', { configFile: stopFile });
    await resyncDone();
    await drained();
    await expectSinksEqualSource();
    const done = await readSlotHealthState(pipeline.redis, pipeline.keys);
    expect(done.resync?.deletedByTable?.['public.accounts']).toBe(5);
  }, 300_000);

  it('a dropped publication is a permanent error: re-synced, not retried forever', async () => {
    const episodes = async () => (await readSlotHealthState(pipeline.redis, pipeline.keys)).resync;
    const before = await episodes();
    // Back to the default policy (onSlotLost: resync) and streaming.
    await connector.stop();
    connector = pipeline.start('connector');
    await waitFor('the slot streamed again', async () => ((await slotRow())?.active ? true : undefined));
    await source.query(`DROP PUBLICATION ${pipeline.slotName}`);
    await source.query(
      `UPDATE public.accounts SET balance = balance + 5 WHERE id = 2; DELETE FROM public.notes WHERE id = 40`,
    );
    await waitFor(
      're-sync after the publication vanished',
      async () => {
        connector.assertAlive();
        const resync = await episodes();
        return resync?.state === 'done' && resync.lostAt !== before?.lostAt ? resync : undefined;
      },
      { timeoutMs: 60_000 },
    ).catch(async (error: unknown) => {
      const { rows } = await source.query(
        `SELECT pid, backend_type, state, wait_event, backend_xid, left(query, 120) AS query FROM pg_stat_activity`,
      );
      throw new Error(`${String(error)}\n${JSON.stringify(rows, null, 1)}`);
    });
    expect((await episodes())?.problem).toBe('publication-missing');
    expect((await episodes())?.reason).toContain('does not exist');
    await drained();
    await expectSinksEqualSource();
  }, 300_000);
});
