import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeLog, connectRedis, LogKeys } from '@distributary/changelog';
import { createLogger } from '@distributary/observability';
import { createTestDatabase, deleteNamespace, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { markResyncRequested, readSlotHealthState, writeSlotHealthState } from '@distributary/control';
import { SlotUnusableError } from '@distributary/pg-catalog';
import { MAX_RESYNC_SLOT_LOSSES, SlotRecovery } from './slot-recovery';

// A re-sync whose new slot is lost again and again (the re-read writes more WAL than the source keeps)
// must stop with the reason instead of re-reading every table forever.
const namespace = uniqueName('resync_losses');
const keys = new LogKeys(namespace);
const redis = connectRedis({ url: redisUrl(0) });
const lines: string[] = [];
const logger = createLogger('slot-recovery-test', 'info', { write: (line: string) => void lines.push(line) });
let source: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  source = await createTestDatabase('resync_losses');
  pool = new Pool({ connectionString: source.url, max: 2 });
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await source?.drop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
}, 60_000);

describe('slot recovery: a re-sync that keeps losing its new slot', () => {
  it(`stops after ${MAX_RESYNC_SLOT_LOSSES} losses with max_slot_wal_keep_size in the reason, and stays stopped until a resync request`, async () => {
    const recovery = new SlotRecovery({
      log: new ChangeLog(redis, keys, 1),
      slot: namespace,
      policy: 'resync',
      tables: ['public.t'],
      logger,
    });
    await writeSlotHealthState(redis, keys, {
      resync: {
        state: 'running',
        problem: 'lost',
        reason: 'first loss',
        lostAt: new Date().toISOString(),
        phase: 'new-slot',
      },
    });
    for (let loss = 1; loss <= MAX_RESYNC_SLOT_LOSSES; loss++) {
      // the connector created the new slot and started re-reading the tables
      await recovery.slotCreated(0x5000000n + BigInt(loss));
      await recovery.progress(1000 * loss, 1_000_000);
      const attempt = recovery.onUnusable(pool, 'lost', "wal_status 'lost'");
      if (loss < MAX_RESYNC_SLOT_LOSSES) {
        await attempt;
        const { resync } = await readSlotHealthState(redis, keys);
        expect(resync).toMatchObject({ state: 'running', slotLosses: loss });
      } else {
        await expect(attempt).rejects.toThrow(SlotUnusableError);
        await expect(recovery.onUnusable(pool, 'lost', "wal_status 'lost'")).rejects.toThrow(
          /max_slot_wal_keep_size \(.+\)/,
        );
      }
    }
    const { resync } = await readSlotHealthState(redis, keys);
    expect(resync?.state).toBe('stopped');
    expect(resync?.reason).toContain(`lost again (${MAX_RESYNC_SLOT_LOSSES} of ${MAX_RESYNC_SLOT_LOSSES} times)`);
    expect(resync?.action).toContain('distributary resync');
    expect(lines.filter((line) => line.includes("re-sync's new slot was lost again"))).toHaveLength(
      MAX_RESYNC_SLOT_LOSSES,
    );

    // a plain restart changes nothing: still stopped
    await expect(recovery.onUnusable(pool, 'dropped', 'slot does not exist')).rejects.toThrow(/re-sync stopped/);
    // `distributary resync` starts the episode over with a fresh count
    await markResyncRequested(redis, keys);
    await recovery.onUnusable(pool, 'dropped', 'slot does not exist');
    const again = (await readSlotHealthState(redis, keys)).resync;
    expect(again).toMatchObject({ state: 'running', phase: 'new-slot' });
    expect(again?.slotLosses).toBeUndefined();
    expect(again?.resyncLsn).toBeUndefined();
  }, 60_000);

  it('counts a finished re-sync whose slot is lost again sooner than the re-sync took as the same re-sync', async () => {
    const recovery = new SlotRecovery({
      log: new ChangeLog(redis, keys, 1),
      slot: namespace,
      policy: 'resync',
      tables: ['public.t'],
      logger,
    });
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
    const finished = (lostAt: string, finishedAt: string, slotLosses?: number) =>
      writeSlotHealthState(redis, keys, {
        resync: {
          state: 'done',
          problem: 'lost',
          reason: 'earlier loss',
          lostAt,
          finishedAt,
          resyncLsn: '0/5000000',
          phase: 'streaming',
          slotLosses,
        },
      });
    // long after a re-sync that went well: a new, independent episode
    await finished(ago(3600), ago(3500));
    await recovery.onUnusable(pool, 'lost', "wal_status 'lost'");
    expect((await readSlotHealthState(redis, keys)).resync).toMatchObject({
      state: 'running',
      reason: "wal_status 'lost'",
    });
    expect((await readSlotHealthState(redis, keys)).resync?.slotLosses).toBeUndefined();
    // seconds after a 4-minute re-sync: the same re-sync losing its slot again
    await finished(ago(250), ago(10));
    await recovery.onUnusable(pool, 'lost', "wal_status 'lost'");
    expect((await readSlotHealthState(redis, keys)).resync).toMatchObject({ state: 'running', slotLosses: 1 });
    await finished(ago(250), ago(10), MAX_RESYNC_SLOT_LOSSES - 1);
    await expect(recovery.onUnusable(pool, 'lost', "wal_status 'lost'")).rejects.toThrow(/source's cluster/);
    expect((await readSlotHealthState(redis, keys)).resync?.state).toBe('stopped');
  }, 60_000);
});
