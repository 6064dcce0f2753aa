import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotRequests, requestSnapshot } from '@distributary/control';
import { waitFor } from '@distributary/testkit';
import { StandbyFixture } from '../test/standby-fixture';

/**
 * An incremental snapshot chunk read while a transaction committed in the WAL BEFORE its low watermark
 * is still invisible to new snapshots (its COMMIT waits for a synchronous standby that never answers).
 * Read at a plain snapshot, the chunk holds the old row and is appended at the high watermark, after
 * that transaction's event: the log ends with the old row.
 *
 * - With a role that sees every backend, the visible-snapshot wait sees the commit waiting and the
 *   chunk is read once it is visible (all 20 rows).
 * - With a role that cannot see other roles' backends (and so, in general, for a backend merely
 *   descheduled between writing its commit record and becoming visible, which no wait event shows),
 *   the wait is blind and the chunk's read sees the old row: the window notices from the read's own
 *   snapshot (pg_current_snapshot()) that it missed a transaction decoded before the low mark, and
 *   drops its key (19 rows) or reads the chunk again (20).
 */
function snapshotWhileCommitHeld(blindRole: boolean, atLeastRows: number): void {
  let fixture: StandbyFixture;

  beforeAll(async () => {
    fixture = await StandbyFixture.start(blindRole ? 'incrace' : 'incsync', { blindRole });
  }, 120_000);

  afterAll(async () => {
    await fixture?.stop();
  });

  it('never appends a chunk row older than a change committed before its low watermark', async () => {
    const { committed } = await fixture.heldUpdate(7);
    const admin = await fixture.connect();
    expect((await admin.query('SELECT v FROM items WHERE id = 7')).rows).toEqual([{ v: 'old' }]);

    const record = await requestSnapshot(fixture.redis, fixture.keys, {
      table: 'public.items',
      chunkSize: 100,
      reason: 'test',
    });
    const requests = new SnapshotRequests(fixture.redis, fixture.keys);
    const done = waitFor(
      'the snapshot to finish',
      async () => {
        const current = await requests.get(record.id);
        if (current?.status === 'failed') throw new Error(`snapshot failed: ${current.error}`);
        return current?.status === 'done' ? current : undefined;
      },
      { timeoutMs: 60_000 },
    );
    done.catch(() => undefined); // awaited below
    // give a plain snapshot every chance to read the old row, then let the update become visible
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 1500))]);
    await fixture.standby.release();
    await committed;
    const finished = await done;
    expect(finished.rowsDone).toBeGreaterThanOrEqual(atLeastRows);
    expect(finished.rowsDone).toBeLessThanOrEqual(20);
    expect(await fixture.loggedValue(7)).toBe('new');
  }, 120_000);
}

describe('an incremental snapshot while a commit in the WAL is not yet visible', () => {
  describe('a role that sees the committing backend waits for it', () => snapshotWhileCommitHeld(false, 20));
  describe('a role blind to it: the chunk checks its own snapshot', () => snapshotWhileCommitHeld(true, 19));
});
