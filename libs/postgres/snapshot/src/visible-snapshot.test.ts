import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryableError } from '@distributary/core';
import { GhostStandby, uniqueName, waitFor } from '@distributary/testkit';
import { ThrowawayPostgres } from '../../../../test/chaos/throwaway-postgres';
import { beginVisibleSnapshot } from './visible-snapshot';

/**
 * The window between a commit being durable (WAL flushed, clog committed — so logical decoding already
 * sends it) and it becoming visible to new snapshots (xid removed from the proc array). With
 * synchronous_standby_names naming a standby that never connects, the committing backend stays in
 * that window until the setting is cleared. A throwaway cluster: the setting stalls every commit.
 */
let pg: ThrowawayPostgres;
const name = uniqueName('visible');
let standby: GhostStandby;
const connect = () => standby.connect();

beforeAll(async () => {
  pg = await ThrowawayPostgres.create(join(__dirname, '../../../../.local/visible-snapshot', name));
  standby = new GhostStandby(pg.url());
  const admin = await connect();
  await admin.query('CREATE TABLE items (id int PRIMARY KEY, v text)');
  await admin.query(`INSERT INTO items VALUES (1, 'old')`);
  await admin.query(`SELECT pg_create_logical_replication_slot('visible', 'test_decoding')`);
  await standby.hold();
}, 120_000);

afterAll(async () => {
  await standby?.close();
  await pg?.destroy();
});

describe('a snapshot taken while a decoded commit waits for a synchronous standby', () => {
  it('misses the logged change with a plain REPEATABLE READ; beginVisibleSnapshot refuses it until visible', async () => {
    const writer = await connect();
    await writer.query('BEGIN');
    const {
      rows: [{ xid }],
    } = await writer.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    await writer.query(`UPDATE items SET v = 'new' WHERE id = 1`);
    let committed = false;
    const commit = writer.query('COMMIT').then(() => {
      committed = true;
    });
    commit.catch(() => undefined); // awaited below; a failed test must not leave it unhandled

    // The commit is decoded (what the connector would append to the log) ...
    const reader = await connect();
    await waitFor(
      'the commit to be decoded',
      async () => {
        const { rows } = await reader.query<{ data: string }>(
          `SELECT data FROM pg_logical_slot_peek_changes('visible', NULL, NULL, 'include-xids', '1')`,
        );
        return rows.some((r) => r.data === `COMMIT ${xid}`) || undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(committed).toBe(false);

    // ... while a new REPEATABLE READ snapshot still sees the transaction as in progress (the old code).
    // SQL does not call it committed either: pg_xact_status asks the proc array before clog, and the
    // xid is not even in the snapshot's xip list (xmax moves only when a transaction leaves the proc
    // array). Only pg_stat_activity shows it: its backend holds the xid while waiting on SyncRep.
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const seen = await reader.query(
      `SELECT (SELECT v FROM items WHERE id = 1) AS v,
              pg_xact_status($1::text::xid8) AS status,
              pg_visible_in_snapshot($1::text::xid8, pg_current_snapshot()) AS visible,
              $1::text::xid8 IN (SELECT pg_snapshot_xip(pg_current_snapshot())) AS "inXip",
              $1::text::xid8 >= pg_snapshot_xmax(pg_current_snapshot()) AS "atOrAboveXmax",
              (SELECT wait_event FROM pg_stat_activity WHERE backend_xid::text = $1::text) AS "waitEvent"`,
      [xid],
    );
    await reader.query('ROLLBACK');
    expect(seen.rows[0]).toEqual({
      v: 'old',
      status: 'in progress',
      visible: false,
      inXip: false,
      atOrAboveXmax: true,
      waitEvent: 'SyncRep',
    });

    // The helper does not take a snapshot while it would miss the commit; it gives up after its bound with a RetryableError.
    const refusal = await beginVisibleSnapshot(reader, { maxWaitMs: 200 }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RetryableError);
    expect((refusal as Error).message).toMatch(new RegExp(`transaction\\(s\\) ${xid} .*synchronous standby`));
    const { rows: idle } = await reader.query<{ iso: string }>(
      "SELECT current_setting('transaction_isolation') AS iso",
    );
    expect(idle[0].iso).toBe('read committed'); // no transaction left open by a refusal

    // Released: the helper's retry takes a snapshot that sees the change.
    const taking = beginVisibleSnapshot(reader, { maxWaitMs: 30_000 });
    await standby.release();
    const refused = await taking;
    await commit;
    expect(refused).toBeGreaterThan(0);
    const { rows } = await reader.query<{ v: string }>('SELECT v FROM items WHERE id = 1');
    await reader.query('COMMIT');
    expect(rows).toEqual([{ v: 'new' }]);
  }, 90_000);

  it('takes a snapshot at once when nothing is committing, an open writing transaction included', async () => {
    const open = await connect();
    await open.query('BEGIN');
    await open.query(`UPDATE items SET v = 'uncommitted' WHERE id = 1`); // holds an xid, not committing
    const reader = await connect();
    expect(await beginVisibleSnapshot(reader)).toBe(0);
    const { rows } = await reader.query<{ iso: string; v: string }>(
      "SELECT current_setting('transaction_isolation') AS iso, (SELECT v FROM items WHERE id = 1) AS v",
    );
    await reader.query('COMMIT');
    await open.query('ROLLBACK');
    expect(rows[0]).toEqual({ iso: 'repeatable read', v: 'new' });
  });
});
