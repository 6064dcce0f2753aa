/**
 * A re-sync after a lost slot survives kill -9 in the middle of its re-snapshot, and the connector
 * stops promptly on SIGTERM while re-syncing and while healthy. A published table no sink reads
 * (public.filler, many rows, small chunks) keeps the re-snapshot running for a while, so the kill
 * lands inside it; the test checks the snapshot was still running when it landed.
 */
import { Client, type ClientConfig } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSlotHealthState } from '@distributary/control';
import { waitFor } from '@distributary/testkit';
import { type RoleProcess } from '../harness/role-process';
import { GAP_CHANGES_SQL, LostSlotFixture } from './lost-slot-fixture';

const FILLER_ROWS = 150_000;
const fixture = new LostSlotFixture({
  prefix: 'slotcrash',
  extraTables: ['public.filler'],
  extraSql: `CREATE TABLE public.filler (id int PRIMARY KEY, pad text NOT NULL);
    INSERT INTO public.filler SELECT g, 'filler ' || g FROM generate_series(1, ${FILLER_ROWS}) g;`,
});
/** Small chunks: the re-snapshot persists its progress often and takes a few seconds. */
let configFile: string;
let connector: RoleProcess;

/** Liveness bound for a SIGTERM'd process to exit (not a benchmark: the grace period is longer). */
const SIGTERM_EXIT_BOUND_MS = 20_000;

async function resyncState() {
  return (await readSlotHealthState(fixture.pipeline.redis, fixture.pipeline.keys)).resync;
}

async function initialSnapshot(): Promise<Record<string, string>> {
  return fixture.pipeline.redis.hgetall(fixture.pipeline.keys.initialSnapshot());
}

/** Waits until the re-sync's re-snapshot has appended some chunks but not finished. */
async function midResnapshot(process: RoleProcess): Promise<void> {
  const seen = await waitFor(
    're-sync re-snapshot in progress (some chunks appended)',
    async () => {
      if (!process.alive) return 'exited';
      const [episode, initial] = await Promise.all([resyncState(), initialSnapshot()]);
      const finished =
        episode?.state === 'running' &&
        (episode.phase === 'reconcile' || (episode.phase === 'snapshot' && initial.status === 'done'));
      if (finished) return 'finished';
      return episode?.state === 'running' && episode.phase === 'snapshot' && Number(initial.rowsDone ?? 0) > 0
        ? 'running'
        : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 50 },
  );
  if (seen === 'exited') process.assertAlive();
  if (seen === 'finished')
    throw new Error('the re-snapshot finished before the test could interrupt it: more filler rows');
}

/** SIGTERM, then the time until the process exited; fails past the liveness bound. */
async function sigtermExit(process: RoleProcess): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  await process.stop(SIGTERM_EXIT_BOUND_MS + 30_000);
  const ms = Date.now() - started;
  console.info(`${process.label} exited ${ms} ms after SIGTERM (code ${process.child.exitCode})`);
  expect(ms, `${process.label} took ${ms} ms to exit after SIGTERM: ${process.output.slice(-3000)}`).toBeLessThan(
    SIGTERM_EXIT_BOUND_MS,
  );
  return { ms, code: process.child.exitCode };
}

beforeAll(async () => {
  await fixture.create();
  configFile = fixture.configWith('small-chunks', (source) => ({
    ...source,
    snapshot: { chunkSize: 500, connections: 2 },
  }));
  connector = fixture.pipeline.start('connector', { configFile });
  await fixture.pipeline.waitForSlot(connector);
  fixture.pipeline.start('worker', { configFile });
}, 240_000);

afterAll(async () => {
  await fixture.destroy();
}, 120_000);

describe('a re-sync after a lost slot', () => {
  it('resumes after kill -9 during its re-snapshot: every sink ends equal to the source', async () => {
    await fixture.drained();
    await fixture.expectSinksEqualSource();

    await connector.stop();
    await fixture.source.query(`${GAP_CHANGES_SQL}
      DELETE FROM public.filler WHERE id % 1000 = 0;`);
    await fixture.loseSlot();

    const crashed = fixture.pipeline.start('connector', { configFile });
    await midResnapshot(crashed);
    await crashed.kill9();
    const [interrupted, initial] = await Promise.all([resyncState(), initialSnapshot()]);
    expect(interrupted, 'the episode is still running after the crash').toMatchObject({
      state: 'running',
      phase: 'snapshot',
    });
    expect(initial.status, 'the re-snapshot was interrupted, not finished').toBe('running');

    // Changes between the crash and the restart: streamed from the new slot after the re-snapshot.
    await fixture.source.query(`
      DELETE FROM public.accounts WHERE id BETWEEN 31 AND 33;
      UPDATE public.notes SET body = 'after the crash' WHERE id = 16;
      DELETE FROM public.orders WHERE id = 5;`);

    connector = fixture.pipeline.start('connector', { configFile });
    const done = await waitFor(
      're-sync done after the restart',
      async () => {
        connector.assertAlive();
        const episode = await resyncState();
        return episode?.state === 'done' ? episode : undefined;
      },
      { timeoutMs: 180_000 },
    );
    expect(connector.output).toContain('resuming after its last appended chunk');
    expect(done).toMatchObject({ problem: 'lost', lostAt: interrupted?.lostAt, resyncLsn: interrupted?.resyncLsn });
    // Deleted in the gap (before the new slot's consistent point): reconciled.
    // Plus what was deleted between the crash and the restart when the resumed re-snapshot read the table
    // after that (accounts 31..33, order 5): deleted at the consistent point too, then again when streamed.
    expect([10, 13]).toContain(done.deletedByTable?.['public.accounts']);
    expect(done.deletedByTable?.['public.notes']).toBe(10);
    expect([6, 7]).toContain(done.deletedByTable?.['public.orders']);
    expect(done.deletedByTable?.['public.filler']).toBe(FILLER_ROWS / 1000);
    await fixture.drained();
    await fixture.expectSinksEqualSource();
    const { rows } = await fixture.source.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.accounts`);
    expect(rows[0].n).toBe(70 - 10 - 3);

    await fixture.source.query(
      `UPDATE public.accounts SET balance = 0 WHERE id = 1; DELETE FROM public.notes WHERE id = 20`,
    );
    await fixture.drained();
    await fixture.expectSinksEqualSource();
  }, 400_000);

  it('stops promptly on SIGTERM while re-syncing, and resumes afterwards', async () => {
    await connector.stop();
    await fixture.source.query(`DELETE FROM public.accounts WHERE id = 40`);
    await fixture.loseSlot();
    const resyncing = fixture.pipeline.start('connector', { configFile });
    await midResnapshot(resyncing);
    const stopped = await sigtermExit(resyncing);
    expect(stopped.code, resyncing.output.slice(-3000)).toBe(0);

    connector = fixture.pipeline.start('connector', { configFile });
    await waitFor(
      're-sync done after the SIGTERM',
      async () => {
        connector.assertAlive();
        const episode = await resyncState();
        return episode?.state === 'done' && episode.deletedByTable?.['public.accounts'] === 1 ? episode : undefined;
      },
      { timeoutMs: 180_000 },
    );
    await fixture.drained();
    await fixture.expectSinksEqualSource();
  }, 400_000);

  it('survives a retry loop (slot held by another walsender) and stops promptly on SIGTERM in it', async () => {
    await connector.stop();
    // A walsender of our own holds the slot: every connector term fails at START_REPLICATION and retries.
    const holder = new Client({ connectionString: fixture.pg.url(), replication: 'database' } as ClientConfig);
    holder.on('error', () => undefined);
    await holder.connect();
    const { slotName } = fixture.pipeline;
    void holder
      .query(`START_REPLICATION SLOT ${slotName} LOGICAL 0/0 (proto_version '1', publication_names '${slotName}')`)
      .catch(() => undefined);
    try {
      await waitFor('the slot held by the test', async () => ((await fixture.slotRow())?.active ? true : undefined));
      const retrying = fixture.pipeline.start('connector', { configFile, env: { LOG_LEVEL: 'info' } });
      // Short terms start and stop the snapshot-job worker each time (this used to crash the process).
      await waitFor(
        'four failed terms',
        async () => {
          retrying.assertAlive();
          return retrying.output.split(`${slotName}\\" is active for PID`).length > 4 || undefined;
        },
        { timeoutMs: 120_000 },
      );
      expect((await sigtermExit(retrying)).code, retrying.output.slice(-3000)).toBe(0);
    } finally {
      await holder.end().catch(() => undefined);
    }
    connector = fixture.pipeline.start('connector', { configFile });
    await fixture.source.query(`UPDATE public.accounts SET balance = balance + 1 WHERE id = 2`);
    await fixture.drained();
    await fixture.expectSinksEqualSource();
  }, 300_000);

  it('stops promptly on SIGTERM when the slot is lost and onSlotLost is stop, and when healthy', async () => {
    // Healthy and streaming.
    await waitFor('the slot streaming', async () => ((await fixture.slotRow())?.active ? true : undefined));
    expect((await sigtermExit(connector)).code, connector.output.slice(-3000)).toBe(0);
    const worker = fixture.pipeline.live('worker')[0];
    expect((await sigtermExit(worker)).code, worker.output.slice(-3000)).toBe(0);

    // Lost, with onSlotLost: stop — the connector stays down on its own; SIGTERM before it got there.
    await fixture.loseSlot();
    const stopFile = fixture.configWith('stop', (source) => ({ ...source, onSlotLost: 'stop' }));
    const early = fixture.pipeline.start('connector', { configFile: stopFile });
    await waitFor('the connector to start', async () =>
      early.output.includes('running;') || !early.alive ? true : undefined,
    );
    await sigtermExit(early);
  }, 300_000);
});
