import { Client, Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import { describeWait, reportWhileWaiting, type OutsideWait } from './slot-wait';

/**
 * Slot creation waits for every transaction holding an xid in the cluster. The connector says what it
 * waits for and since when (the issue: on a busy machine it waited over 60 s without a word).
 */
let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('slotwait');
  await db.sql('CREATE TABLE t (id int PRIMARY KEY)');
  pool = new Pool({ connectionString: db.url, max: 3 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('slot creation behind an open transaction', () => {
  it('reports the blocking transaction while it waits, and clears the report when done', async () => {
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('INSERT INTO t VALUES (1)'); // now it holds a transaction ID
    const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const reports: (OutsideWait | undefined)[] = [];
    const slot = uniqueName('waitslot');
    const creating = reportWhileWaiting(
      pool,
      `creating replication slot ${slot}`,
      pool.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]),
      (wait) => void reports.push(wait),
      200,
    );
    const seen = await waitFor('a report naming the open transaction', async () =>
      reports.find((r) => r?.blockers.some((b) => b.pid === pid)),
    );
    expect(describeWait(seen)).toMatch(
      new RegExp(
        `^creating replication slot ${slot} since .*: waiting for pid ${pid} on ${db.name} \\(idle in transaction\\) open since `,
      ),
    );
    await blocker.query('COMMIT');
    await blocker.end();
    await creating;
    expect(reports[reports.length - 1]).toBeUndefined();
    await pool.query('SELECT pg_drop_replication_slot($1)', [slot]);
  });
});
